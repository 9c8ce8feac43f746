"""The WSGI wrapper around every request checks the headers it adds once, when it is made."""

import pytest

from yelb_appserver.middleware import EveryRequest


def test_a_header_value_that_would_split_the_answer_is_refused_at_start():
    with pytest.raises(ValueError, match="newline"):
        EveryRequest(lambda environ, start_response: [], [("X-Yelb-Hostname", "replica\r\nSet-Cookie: x=1")], set())


def test_the_answer_headers_are_added_to_every_answer(client):
    answer = client.get("/healthz")
    assert {"X-Request-ID", "X-Yelb-Version", "X-Yelb-Color", "X-Yelb-Hostname"} <= set(answer.headers.keys())
    assert "Access-Control-Allow-Origin" not in answer.headers  # only /api/ answers carry the grant
