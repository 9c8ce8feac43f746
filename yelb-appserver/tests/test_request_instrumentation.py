"""What every request costs in bookkeeping stays bounded and never fails the request."""

import os
import sys

from yelb_appserver import metrics


def test_invented_methods_and_paths_do_not_grow_the_request_series(client):
    known_before = len(metrics._request_series)  # other tests in this process add their own
    for index in range(300):
        client.open(f"/nowhere/{index}", method=f"INVENTED{index}")
        client.get(f"/api/votes/{index}")
    assert len(metrics._request_series) - known_before <= 10


def test_a_broken_log_pipe_does_not_fail_requests(make_app, monkeypatch):
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as broken:
        monkeypatch.setattr(sys, "stdout", broken)
        client = make_app().test_client()
        assert client.get("/api/hostname").status_code == 200
        assert client.get("/api/getvotes").status_code == 200
