"""Malformed HTTP that only a real server sees (bytes the test client cannot send) is
refused and changes nothing. The JSON errors are in yelb-appserver/tests/test_errors.py."""

import socket

ALL_ZERO = {"outback": 0, "bucadibeppo": 0, "ihop": 0, "chipotle": 0}


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
