"""Scenario 6, bad input against the whole stack.

Schemathesis fuzzes every operation of the appserver's OpenAPI document, on a
replica (all routes) and through the nginx front (the /api routes it proxies):
no 5xx, every response as documented. Then hand-written abuse through the
front: every request is refused with the right 4xx and no vote count moves.
"""

import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

pytestmark = pytest.mark.stack

SCHEMATHESIS_CONFIG = Path(__file__).with_name("schemathesis.toml")


def schemathesis(openapi_url: str, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "schemathesis.cli"]
    if config:
        command += ["--config-file", str(config)]
    command += ["run", openapi_url, "--checks", "all", "--max-examples", "25", "--seed", "8",
                "--workers", "2", "--request-timeout", "10", "--no-color", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def cases_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if " generated, " in line]
    return lines[-1] if lines else "no summary"


def raw_exchange(base_url: str, payload: bytes, timeout: float = 10) -> tuple[int, str, bytes]:
    """Send bytes as they are (requests would encode or refuse them), on a connection of their
    own; (status, Content-Type, body) of the answer, read as far as its Content-Length (not
    until the close, which a front that answered before reading a whole body delays)."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
        except OSError:
            pass  # the front may answer and close before it has read everything
        answer = b""

        def complete() -> bool:
            head, found, body = answer.partition(b"\r\n\r\n")
            if not found or head.startswith(b"HTTP/1.1 100 "):
                return False
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                           if line.lower().startswith(b"content-length:")), None)
            return length is not None and (payload.startswith(b"HEAD ") or len(body) >= length)

        try:
            while not complete() and (chunk := sock.recv(65536)):
                answer += chunk
                while answer.startswith(b"HTTP/1.1 100 ") and b"\r\n\r\n" in answer:
                    answer = answer.partition(b"\r\n\r\n")[2]  # an interim "100 Continue"
        except ConnectionResetError:
            pass  # a refused request's connection is reset once answered
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    content_type = next((line.split(":", 1)[1].strip() for line in lines[1:]
                         if line.lower().startswith("content-type:")), "")
    return int(lines[0].split(" ", 2)[1]), content_type, body


def raw_request(base_url: str, payload: bytes, timeout: float = 10) -> int:
    return raw_exchange(base_url, payload, timeout)[0]


@pytest.fixture
def stack(stack_factory):
    return stack_factory(replicas=2)


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(stack, figure):
    openapi = "/api/openapi.json"
    # Random names (mostly unknown options), then a known option so that votes really happen.
    on_replica = schemathesis(stack.replica_urls[0] + openapi)
    with_votes = schemathesis(stack.replica_urls[0] + openapi, config=SCHEMATHESIS_CONFIG)
    # nginx answers TRACE itself (405 without an Allow header) before any routing, so the
    # undeclared-method check is the one check that cannot apply through the front.
    through_front = schemathesis(stack.url + openapi, "--include-path-regex", "^/api/",
                                 "--exclude-checks", "unsupported_method")
    figure(f"schemathesis on a replica: {cases_line(on_replica.stdout)}; with a known option: "
           f"{cases_line(with_votes.stdout)}; through the front: {cases_line(through_front.stdout)}")
    for run in (on_replica, with_votes, through_front):
        assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert sum(stack.vote_counts().values()) > 0, "the fuzzing never reached a real vote"


def test_rejected_requests_are_refused_and_change_no_vote(stack, figure):
    front = stack.url
    before = stack.vote_counts()
    long_name = "x" * 3000
    # Longer than gunicorn's request line (4094 bytes), then than nginx's header buffer (8 KiB).
    too_long_for_appserver, too_long_for_front = "x" * 6000, "x" * 9000
    cases = [
        ("unknown option", lambda: requests.post(f"{front}/api/votes/pizza", timeout=5), {404}),
        ("unknown option, original path", lambda: requests.get(f"{front}/api/pizza", timeout=5), {404}),
        ("over-long option", lambda: requests.post(f"{front}/api/votes/{long_name}", timeout=5), {404, 414}),
        ("over-long option, original path", lambda: requests.get(f"{front}/api/{long_name}", timeout=5), {404, 414}),
        ("option over the appserver's line limit", lambda: requests.post(
            f"{front}/api/votes/{too_long_for_appserver}", timeout=5), {414}),
        ("option over the front's line limit", lambda: requests.post(
            f"{front}/api/votes/{too_long_for_front}", timeout=5), {414}),
        ("SQL-shaped option", lambda: requests.post(
            f"{front}/api/votes/{quote(chr(39) + '; DROP TABLE restaurants; --', safe='')}", timeout=5), {404}),
        ("SQL-shaped option, original path", lambda: requests.get(
            f"{front}/api/{quote('ihop' + chr(39) + ' OR ' + chr(39) + '1' + chr(39) + '=' + chr(39) + '1', safe='')}",
            timeout=5), {404}),
        ("percent-encoded non-UTF-8 option", lambda: raw_request(
            front, b"POST /api/votes/%ff%fe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), {400, 404}),
        ("raw non-UTF-8 bytes in the path", lambda: raw_request(
            front, b"GET /api/\xff\xfe\xfd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), {400, 404}),
        ("huge header", lambda: requests.post(f"{front}/api/votes/ihop", headers={"X-Big": "a" * 70_000},
                                              timeout=5), {400, 431, 494}),
        ("many headers", lambda: requests.post(f"{front}/api/votes/ihop",
                                               headers={f"X-H{i}": "v" for i in range(300)}, timeout=5),
         {400, 431}),
        ("huge body", lambda: requests.post(f"{front}/api/votes/ihop", data=b"a" * 2_000_000, timeout=10), {413}),
        ("wrong method on a vote", lambda: requests.delete(f"{front}/api/votes/ihop", timeout=5), {405}),
        ("wrong method on the results", lambda: requests.put(f"{front}/api/getvotes", timeout=5), {405}),
        ("GET on the vote endpoint", lambda: requests.get(f"{front}/api/votes/ihop", timeout=5), {405}),
    ]
    seen = {}
    for name, send, expected in cases:
        result = send()
        status = result if isinstance(result, int) else result.status_code
        seen[name] = status
        assert status in expected, f"{name}: got {status}, expected one of {sorted(expected)}"
        if not isinstance(result, int) and status in (404, 405):
            # Refusals that come from the appserver are its JSON errors.
            assert result.json()["status"] == status and result.json()["error"], result.text
    assert stack.vote_counts() == before
    figure("refused through the front: " + ", ".join(f"{name} {status}" for name, status in seen.items()))


def test_slow_clients_do_not_block_the_others(stack, figure):
    """Slowloris: connections that trickle their headers must not starve normal requests."""
    address = urlsplit(stack.url)
    before = stack.vote_counts()
    slow = []
    for _ in range(50):
        sock = socket.create_connection((address.hostname, address.port), timeout=5)
        sock.sendall(b"POST /api/votes/ihop HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            for sock in slow:
                try:
                    sock.sendall(b"X-a: b\r\n")
                except OSError:
                    pass
            time.sleep(0.2)

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        session = requests.Session()
        timings = []
        for _ in range(50):
            started = time.monotonic()
            response = session.get(f"{stack.url}/api/getvotes", timeout=5)
            timings.append(time.monotonic() - started)
            assert response.status_code == 200
    finally:
        stop.set()
        trickler.join()
        for sock in slow:
            sock.close()
    figure(f"with 50 slow clients trickling headers, 50 normal reads all answered 200, "
           f"slowest {max(timings) * 1000:.0f} ms")
    # The unfinished votes were never counted.
    assert stack.vote_counts() == before


def fuzzed_request(rng: random.Random) -> bytes:
    """One request as an attacker's fuzzer writes them: odd methods, paths under /api/ with
    junk, odd or oversized headers and bodies, sometimes not HTTP at all."""
    method = rng.choice([b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"HEAD", b"OPTIONS", b"TRACE",
                         b"CONNECT", b"PROPFIND", b"FOO", b"G\x00T", b"get", bytes(rng.choices(b"ABCXYZ", k=40))])
    segment = rng.choice([b"ihop", b"votes/ihop", b"votes/pizza", b"getvotes", b"faults", b"stats",
                          b"%ff%fe", b"\xff\xfe", b"..%2f..%2fetc", b"votes/" + b"x" * rng.choice([50, 5000, 9000]),
                          b"{option}", b"votes/ihop?%zz", b"a b", b"\r"])
    headers = [b"Host: x", b"Connection: close"]
    headers += rng.sample([b"Idempotency-Key: " + b"k" * rng.choice([5, 200]), b"Content-Type: text/plain",
                           b"Transfer-Encoding: chunked", b"Content-Length: -1", b"Content-Length: 99999999",
                           b"X-Big: " + b"a" * 9000, b"Bad Header", b"X-\xff: \xfe", b"Expect: 100-continue",
                           b"Cookie: yelb_voted=" + b"z" * 100, b"Authorization: Bearer guess"],
                          k=rng.randint(0, 3))
    body = rng.choice([b"", b"{}", b"not json", b"a" * 70_000])
    # Framing stays honest (a chunked body ends, a length matches) so that no request waits
    # out the front's body timeout; lying about lengths is what the two fixed values are for.
    if b"Transfer-Encoding: chunked" in headers:
        body = b"0\r\n\r\n"
    elif body and not any(header.startswith(b"Content-Length") for header in headers):
        headers.append(b"Content-Length: %d" % len(body))
    if rng.random() < 0.05:
        return bytes(rng.choices(range(256), k=rng.randint(1, 300))) + b"\r\n\r\n"
    return method + b" /api/" + segment + b" HTTP/1.1\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body


def test_fuzzing_through_the_front_gives_no_5xx_and_only_json_errors(stack, figure):
    """500 fuzzed requests (a fixed seed, so a failure replays) through the nginx front: no
    server error, every error under /api in the {"error", "status"} JSON format, whether nginx,
    gunicorn or the app answered it, and no vote counted by a request that was refused."""
    rng = random.Random(13)
    before = stack.vote_counts()
    statuses = Counter()
    for _ in range(500):
        payload = fuzzed_request(rng)
        status, content_type, body = raw_exchange(stack.url, payload)
        statuses[status] += 1
        assert status < 500, (payload[:200], status, body[:300])
        if status >= 400 and not payload.startswith(b"HEAD"):
            assert content_type == "application/json", (payload[:200], status, body[:300])
            assert json.loads(body)["status"] == status, body
    figure("500 fuzzed requests through the front: " + ", ".join(
        f"{count} x {status}" for status, count in sorted(statuses.items())))
    after = stack.vote_counts()
    assert sum(after.values()) - sum(before.values()) <= statuses[200]
