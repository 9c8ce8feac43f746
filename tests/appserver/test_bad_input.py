"""Bad requests get a clear JSON error with the right status and change nothing."""

import socket

import pytest

ALL_ZERO = {"outback": 0, "bucadibeppo": 0, "ihop": 0, "chipotle": 0}


def assert_json_error(response, status: int, mentions: str = ""):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status
    assert mentions.lower() in body["error"].lower()


@pytest.mark.parametrize("path", [
    "/api/pizzahut", "/api/votes/pizzahut", "/api/IHOP", "/api/" + "x" * 300,
    "/api/ihop';DROP TABLE restaurants;--", "/api/%27%20OR%201%3D1", "/api/%FF%FE",
])
def test_unknown_options_are_404_and_count_nothing(api, path):
    method = api.post if path.startswith("/api/votes/") else api.get
    assert_json_error(method(path), 404, "unknown option")
    assert api.counts() == ALL_ZERO


def test_unknown_option_message_lists_the_known_ones(api):
    assert "outback, bucadibeppo, ihop, chipotle" in api.get("/api/nachos").json()["error"]


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/api/ihop"), ("PUT", "/api/getvotes"), ("GET", "/api/votes/ihop"),
    ("POST", "/api/getstats"), ("POST", "/healthz"), ("PATCH", "/api/votes/ihop"),
])
def test_wrong_methods_are_405_with_allow(api, method, path):
    response = api.request(method, path)
    assert_json_error(response, 405)
    assert response.headers["Allow"]
    assert api.counts() == ALL_ZERO


def test_oversized_body_is_413_and_counts_nothing(api):
    assert_json_error(api.post("/api/votes/ihop", data=b"x" * 100_000), 413)
    assert api.counts() == ALL_ZERO


def test_unknown_paths_are_json_404(api):
    assert_json_error(api.get("/nothing/here"), 404)
    assert_json_error(api.get("/api/votes/ihop/extra"), 404)


def _raw_request(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_non_utf8_bytes_in_the_path_are_refused_cleanly(api, appserver):
    answer = _raw_request(appserver.port, b"GET /api/\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.split(b" ")[1] in (b"400", b"404")
    assert api.counts() == ALL_ZERO


def test_huge_headers_are_refused_with_a_4xx(api, appserver):
    answer = _raw_request(appserver.port, b"GET /api/ihop HTTP/1.1\r\nHost: x\r\nX-Big: "
                          + b"a" * 20_000 + b"\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 4")
    assert api.counts() == ALL_ZERO


def test_malformed_request_line_is_refused(api, appserver):
    answer = _raw_request(appserver.port, b"NOT A REQUEST\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400")
    assert api.counts() == ALL_ZERO
