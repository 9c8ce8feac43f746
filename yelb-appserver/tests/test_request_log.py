"""One JSON log line per request, with a request id that is returned."""

import json

import pytest


@pytest.fixture
def make_logging_client(capsys, make_app):
    """Make a client, and read the request lines its app logged so far to standard output.

    The app logs to the standard output of the moment it is made: the test's own, so
    the app must be made in the test, not in a fixture."""

    def start():
        client = make_app().test_client()

        def request_lines() -> list[dict]:
            lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
            return [line for line in lines if line.get("message") == "request"]

        return client, request_lines

    return start


def line_for(lines: list[dict], request_id: str) -> dict:
    (line,) = [line for line in lines if line["request_id"] == request_id]
    return line


def test_incoming_request_id_is_honoured_and_logged(make_logging_client):
    client, request_lines = make_logging_client()
    response = client.post("/api/votes/ihop", headers={"X-Request-ID": "demo-42"})
    assert response.headers["X-Request-ID"] == "demo-42"
    record = line_for(request_lines(), "demo-42")
    assert record["method"] == "POST"
    assert record["route"] == "/api/votes/<option>"
    assert record["path"] == "/api/votes/ihop"
    assert record["status"] == 200
    assert record["duration_ms"] >= 0


def test_missing_or_unsafe_request_id_gets_a_new_one(make_logging_client):
    client, request_lines = make_logging_client()
    generated = client.get("/api/getvotes").headers["X-Request-ID"]
    assert len(generated) == 32
    replaced = client.get("/api/getvotes", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces"
    assert line_for(request_lines(), generated)["status"] == 200


def test_errors_are_logged_too(make_logging_client):
    client, request_lines = make_logging_client()
    request_id = client.get("/api/nachos").headers["X-Request-ID"]
    assert line_for(request_lines(), request_id)["status"] == 404
