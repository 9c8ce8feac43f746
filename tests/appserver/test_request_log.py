"""One JSON log line per request, with a request id that is returned."""

import json
import time


def request_lines(server) -> list[dict]:
    lines = []
    for line in server.log_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("message") == "request":
            lines.append(record)
    return lines


def wait_for_line(server, request_id: str) -> dict:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for record in request_lines(server):
            if record["request_id"] == request_id:
                return record
        time.sleep(0.05)
    raise AssertionError(f"no log line for {request_id}")


def test_incoming_request_id_is_honoured_and_logged(api, appserver):
    response = api.post("/api/votes/ihop", headers={"X-Request-ID": "demo-42"})
    assert response.headers["X-Request-ID"] == "demo-42"
    record = wait_for_line(appserver, "demo-42")
    assert record["method"] == "POST"
    assert record["route"] == "/api/votes/<option>"
    assert record["path"] == "/api/votes/ihop"
    assert record["status"] == 200
    assert record["duration_ms"] >= 0


def test_missing_or_unsafe_request_id_gets_a_new_one(api, appserver):
    generated = api.get("/api/getvotes").headers["X-Request-ID"]
    assert len(generated) == 32
    replaced = api.get("/api/getvotes", headers={"X-Request-ID": "bad id\twith spaces"})
    assert replaced.headers["X-Request-ID"] != "bad id\twith spaces"
    assert wait_for_line(appserver, generated)["status"] == 200


def test_errors_are_logged_too(api, appserver):
    request_id = api.get("/api/nachos").headers["X-Request-ID"]
    assert wait_for_line(appserver, request_id)["status"] == 404
