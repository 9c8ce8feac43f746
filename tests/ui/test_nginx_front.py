"""The UI's nginx front (Debian nginx, unprivileged, the project's own config)
in front of real appserver processes, checked over HTTP."""

from __future__ import annotations

import gzip
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from stack.nginx import NginxFront, PUBLIC_DIR, RENDER_SCRIPT
from stack.services import free_port, port_open, wait_until
from tests.support.dnsmasq import ClusterDns, can_serve_dns

UI_VERSION = json.loads((PUBLIC_DIR.parent / "package.json").read_text())["version"]


@pytest.fixture
def replicas(appserver_factory, yelb_env):
    return [appserver_factory(yelb_env, hostname=f"appserver-{index}") for index in (1, 2)]


@pytest.fixture
def front(replicas, tmp_path):
    front = NginxFront([replica.url for replica in replicas], base_dir=tmp_path / "front",
                       refresh_seconds=7).start()
    yield front
    front.destroy()


def test_static_files_security_headers_caching_and_gzip(front):
    page = requests.get(f"{front.url}/", timeout=5)
    assert page.status_code == 200 and "<h1>Yelb</h1>" in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'self'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-cache"

    script = requests.get(f"{front.url}/js/app.js?v={UI_VERSION}", timeout=5,
                          headers={"Accept-Encoding": "gzip"}, stream=True)
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert script.headers["Content-Type"] == "application/javascript"
    assert script.headers["Content-Encoding"] == "gzip"
    assert b"refreshNow" in gzip.decompress(script.raw.read())

    assert requests.get(f"{front.url}/config.json", timeout=5).json() == {"refreshSeconds": 7}
    health = requests.get(f"{front.url}/healthz", timeout=5)
    assert health.json() == {"status": "ok"} and health.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.get(f"{front.url}/missing.html", timeout=5).status_code == 404


def test_api_is_proxied_with_request_ids_and_appserver_errors_pass_through(front):
    votes = requests.get(f"{front.url}/api/getvotes", timeout=5, headers={"X-Request-ID": "talk-42"})
    assert votes.status_code == 200
    assert [vote["name"] for vote in votes.json()] == ["outback", "bucadibeppo", "ihop", "chipotle"]
    assert votes.headers["X-Request-ID"] == "talk-42"
    generated = requests.get(f"{front.url}/api/options", timeout=5).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)  # nginx's $request_id
    # The appserver's own JSON errors are not replaced by nginx's.
    unknown = requests.post(f"{front.url}/api/votes/nosuchplace", timeout=5)
    assert unknown.status_code == 404 and "nosuchplace" in unknown.json()["error"]
    assert requests.get(f"{front.url}/readyz", timeout=5).status_code == 404  # probes stay internal


def test_requests_round_robin_and_votes_survive_a_dead_replica(front, replicas, postgres,
                                                               database_name):
    hosts = {requests.get(f"{front.url}/api/hostname", timeout=5).text for _ in range(6)}
    assert hosts == {"appserver-1", "appserver-2"}

    replicas[1].kill()
    # Once its port is closed (a request racing the kill may get a 502 when every try fails).
    wait_until(lambda: not port_open(replicas[1].port), 10, "the killed replica's port to close")
    answers = [requests.post(f"{front.url}/api/votes/ihop", timeout=10) for _ in range(10)]
    assert [answer.status_code for answer in answers] == [200] * 10
    # Each vote reached exactly one live replica: none lost, none counted twice.
    assert [answer.json()["value"] for answer in answers] == list(range(1, 11))
    assert postgres.counts(database_name)["ihop"] == 10
    assert {requests.get(f"{front.url}/api/hostname", timeout=5).text for _ in range(4)} == {"appserver-1"}


def test_votes_through_the_front_count_once_per_idempotency_key(front, replicas, postgres,
                                                                database_name):
    """A client's own key passes through nginx to whichever replica answers."""
    answers = [requests.post(f"{front.url}/api/votes/outback", timeout=5,
                             headers={"Idempotency-Key": "tap-7"}) for _ in range(4)]
    assert [answer.json() for answer in answers] == [{"name": "outback", "value": 1}] * 4
    assert len({answer.headers["X-Request-ID"] for answer in answers}) == 4
    # Without a key of its own, each request gets nginx's (a new one per request).
    assert requests.post(f"{front.url}/api/votes/outback", timeout=5).json()["value"] == 2
    assert requests.post(f"{front.url}/api/votes/outback", timeout=5).json()["value"] == 3
    assert postgres.counts(database_name)["outback"] == 3


def test_no_live_appserver_gives_a_json_502(front, replicas):
    for replica in replicas:
        replica.kill()
    answer = requests.get(f"{front.url}/api/getvotes", timeout=10)
    assert answer.status_code == 502
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"error": "appserver unavailable", "status": 502}
    assert requests.get(f"{front.url}/", timeout=5).status_code == 200


@pytest.mark.skipif(not can_serve_dns(), reason="needs root and Debian's dnsmasq (port 53)")
def test_front_starts_before_the_appserver_name_resolves_and_follows_it(appserver_factory,
                                                                           yelb_env, tmp_path):
    appserver = appserver_factory(yelb_env, hostname="appserver-1")
    dns = ClusterDns({}, base_dir=tmp_path).start()
    front = NginxFront(f"http://yelb-appserver.test:{appserver.port}", base_dir=tmp_path / "front",
                       resolver=dns.address).start()
    try:
        # No DNS answers yet, as when the appserver's service does not exist: the front
        # still starts and serves the page, and the API says what is missing, in JSON.
        assert requests.get(f"{front.url}/", timeout=5).status_code == 200
        answer = requests.get(f"{front.url}/api/hostname", timeout=10)
        assert answer.status_code == 502
        assert answer.json() == {"error": "appserver unavailable", "status": 502}

        # The name appears: the running front finds the appserver without a restart, once
        # the NXDOMAIN it was told has aged out (nginx keeps answers for `valid=10s`)...
        dns.set_records({"yelb-appserver.test": "127.0.0.1"})
        wait_until(lambda: requests.get(f"{front.url}/api/hostname", timeout=5).text == "appserver-1",
                   15, "the front to resolve the new name")
        # ...and lets go of it once the name is gone (nginx re-resolves every 10 s at most).
        dns.set_records({})
        wait_until(lambda: requests.get(f"{front.url}/api/hostname", timeout=5).status_code == 502,
                   15, "the front to notice the name is gone")
        assert front.process.poll() is None
    finally:
        front.destroy()
        dns.stop()


def test_container_entrypoint_runs_as_an_unprivileged_user(appserver_factory, yelb_env):
    """entrypoint.sh as the image runs it: a non-root user that may write only the runtime folder."""
    appserver = appserver_factory(yelb_env, hostname="appserver-1")
    runtime_dir = Path(tempfile.mkdtemp(prefix="yelb-ui-run-"))
    command = [str(RENDER_SCRIPT.with_name("entrypoint.sh"))]
    expected_uid = os.geteuid()
    if expected_uid == 0:
        nobody = pwd.getpwnam("nobody")
        expected_uid = nobody.pw_uid
        os.chown(runtime_dir, nobody.pw_uid, nobody.pw_gid)
        command = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                   "--clear-groups", *command]
    port = free_port()
    # As the image sets it: port 80 too, where an unprivileged user may bind it.
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "YELB_APPSERVER_ENDPOINT": appserver.url,
           "YELB_UI_PORT": str(port), "YELB_UI_LEGACY_PORT": "80", "YELB_UI_STATIC_DIR": str(PUBLIC_DIR),
           "YELB_UI_RUNTIME_DIR": str(runtime_dir), "YELB_UI_REFRESH_SECONDS": "3"}
    may_bind_80 = int(Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text()) <= 80
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: requests.get(f"{url}/healthz", timeout=1).ok, 10, "the entrypoint's nginx")
        assert requests.get(f"{url}/api/hostname", timeout=5).text == "appserver-1"
        assert requests.get(f"{url}/config.json", timeout=5).json() == {"refreshSeconds": 3}
        assert requests.get(f"{url}/", timeout=5).status_code == 200
        # exec: the entrypoint's process is nginx's master itself, so it gets the stop signal.
        assert Path(f"/proc/{process.pid}/exe").resolve().name == "nginx"
        assert {process_uid(pid) for pid in [process.pid, *child_pids(process.pid)]} == {expected_uid}
    finally:
        os.killpg(process.pid, signal.SIGQUIT)
        process.wait(10)
        shutil.rmtree(runtime_dir, ignore_errors=True)
    errors = process.stderr.read().decode()
    assert process.returncode == 0, errors
    if not may_bind_80:
        assert "not listening on YELB_UI_LEGACY_PORT 80" in errors


def test_legacy_port_serves_the_same_front(appserver_factory, yelb_env):
    """The original Yelb UI listened on 80 and its deployment files point there: the front
    answers on YELB_UI_LEGACY_PORT too (a free high port here, so no privilege is needed)."""
    appserver = appserver_factory(yelb_env, hostname="appserver-1")
    front = NginxFront(appserver.url)
    legacy_port = free_port()
    front.settings["YELB_UI_LEGACY_PORT"] = str(legacy_port)
    try:
        front.start()
        for port in (front.port, legacy_port):
            assert requests.get(f"http://127.0.0.1:{port}/api/hostname", timeout=5).text == "appserver-1"
    finally:
        front.destroy()


def child_pids(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def process_uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE).group(1))


# -- trust under a live audience: what the public front refuses ---------------------------------

def raw_answer(url: str, payload: bytes, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are; (status, headers, body) of the answer, read until the close."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(payload)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:  # the front resets a connection it refused, once it has answered
            pass
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split(" ")[1]), headers, body


@pytest.fixture
def one_replica_front(appserver_factory, yelb_env, tmp_path):
    appserver = appserver_factory(yelb_env, hostname="appserver-1")
    front = NginxFront(appserver.url, base_dir=tmp_path / "front").start()
    yield front
    front.destroy()


def test_one_client_over_the_vote_limit_is_refused_with_a_json_429(one_replica_front, postgres,
                                                                    database_name):
    """A script voting as fast as it can (10,000 votes in 39 s against the old front) is held to the
    per-address rate (default 30/s after a burst of 60); the reads never count against it."""
    front = one_replica_front
    session = requests.Session()
    started = time.monotonic()
    answers = [session.post(f"{front.url}/api/votes/ihop", timeout=5) for _ in range(400)]
    seconds = time.monotonic() - started
    statuses = Counter(answer.status_code for answer in answers)
    assert set(statuses) == {200, 429}, statuses
    assert statuses[200] <= 60 + 30 * seconds + 5, (statuses, seconds)
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.headers["Content-Type"] == "application/json"
    assert refused.json()["status"] == 429 and "too many requests" in refused.json()["error"]
    assert postgres.counts(database_name)["ihop"] == statuses[200]
    # The original's GET votes share the same limit; reads are not votes.
    assert 429 in {session.get(f"{front.url}/api/chipotle", timeout=5).status_code for _ in range(100)}
    assert all(session.get(f"{front.url}/api/{path}", timeout=5).status_code == 200
               for path in ["getvotes", "stats", "options", "version", "hostname"] * 20)
    print(f"one client, 400 votes in {seconds:.1f} s: {statuses[200]} counted, {statuses[429]} refused 429")


def test_a_room_behind_one_address_is_never_refused(one_replica_front, postgres, database_name):
    """40 phones sharing one address (a venue's Wi-Fi), each voting every 3 s and refreshing
    the page every 5 s, as the page does: nothing refused."""
    front = one_replica_front
    phones = [requests.Session() for _ in range(40)]
    statuses = Counter()
    started = time.monotonic()
    for second in range(9):
        for number, phone in enumerate(phones):
            if (number + second) % 3 == 0:
                statuses[phone.post(f"{front.url}/api/votes/outback", timeout=5).status_code] += 1
            if (number + second) % 5 == 0:
                for path in ("getvotes", "stats", "readyz"):
                    statuses[phone.get(f"{front.url}/api/{path}", timeout=5).status_code] += 1
        time.sleep(max(0.0, started + second + 1 - time.monotonic()))
    assert set(statuses) == {200}, statuses
    assert postgres.counts(database_name)["outback"] == 120


def test_trusted_proxy_lets_the_limit_count_each_client(appserver_factory, yelb_env, tmp_path):
    """Behind an ingress every request comes from the ingress: with YELB_UI_TRUSTED_PROXIES the
    front counts the client its X-Forwarded-For names, so a room passes and one client does not."""
    appserver = appserver_factory(yelb_env, hostname="appserver-1")
    front = NginxFront(appserver.url, base_dir=tmp_path / "front")
    front.settings["YELB_UI_TRUSTED_PROXIES"] = "127.0.0.1"
    front.start()
    try:
        room = [requests.post(f"{front.url}/api/votes/ihop", timeout=5,
                              headers={"X-Forwarded-For": f"198.51.100.{phone}"}).status_code
                for phone in range(1, 201)]
        assert room == [200] * 200
        one = Counter(requests.post(f"{front.url}/api/votes/ihop", timeout=5,
                                    headers={"X-Forwarded-For": "203.0.113.7"}).status_code
                      for _ in range(150))
        assert one[429] > 0, one
    finally:
        front.destroy()


def test_head_on_a_vote_route_counts_nothing(one_replica_front):
    url = one_replica_front.url
    assert requests.head(f"{url}/api/ihop", timeout=5).status_code == 405
    assert requests.head(f"{url}/api/votes/ihop", timeout=5).status_code in (404, 405)
    assert {vote["name"]: vote["value"] for vote in requests.get(f"{url}/api/getvotes", timeout=5).json()}[
        "ihop"] == 0


def test_nginx_errors_under_api_are_json(one_replica_front):
    """The statuses nginx answers itself, in the appserver's format."""
    url = one_replica_front.url
    cases = {
        400: b"NOT A REQUEST\r\n\r\n",
        405: b"TRACE /api/getvotes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        413: b"POST /api/votes/ihop HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n"
             + b"a" * 100000,
        414: b"GET /api/" + b"x" * 9000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        431: b"GET /api/getvotes HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\nConnection: close\r\n\r\n",
        404: b"PUT /api/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    }
    for status, payload in cases.items():
        answered, headers, body = raw_answer(url, payload)
        assert answered == status, (status, body[:200])
        assert headers["content-type"] == "application/json", (status, headers)
        assert json.loads(body)["status"] == status, body


def test_appserver_errors_of_its_own_are_json_and_quote_nothing(one_replica_front):
    """gunicorn's refusals, reached through the front (a line the front accepts but gunicorn
    does not) and directly: JSON, and never the request line back (it could be a script)."""
    script = "%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    through_front = raw_answer(one_replica_front.url, f"GET /api/{script}{'x' * 5000} HTTP/1.1\r\n"
                                                      "Host: x\r\nConnection: close\r\n\r\n".encode())
    appserver = one_replica_front.upstreams[0]
    direct = [
        raw_answer(appserver, f"GET /api/{script}{'x' * 5000} HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
        raw_answer(appserver, f"GET /<script>alert(1)</script> HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode()),
        raw_answer(appserver, b"GET /api/getvotes HTTP/1.1\r\n" + b"".join(
            f"X-H{index}: v\r\n".encode() for index in range(150)) + b"\r\n"),
    ]
    for status, headers, body in [through_front, *direct]:
        assert 400 <= status < 500 and headers["content-type"] == "application/json", (status, body[:200])
        assert json.loads(body)["status"] == status
        assert b"script" not in body and b"xxxx" not in body, body
    assert [through_front[0], direct[0][0]] == [414, 414]


def test_a_header_that_never_ends_is_dropped_within_the_header_timeout(one_replica_front):
    address = urlsplit(one_replica_front.url)
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"GET /api/getvotes HTTP/1.1\r\nHost: x\r\n")
        try:
            closed = sock.recv(1024) == b""
        except ConnectionResetError:  # reset_timedout_connection: dropped with a reset
            closed = True
    waited = time.monotonic() - started
    print(f"an unfinished header was dropped after {waited:.1f} s")
    assert closed and waited < 20


def test_slow_and_idle_connections_leave_the_others_served(one_replica_front):
    """A bounded flood: 3,000 connections that start a request and never finish it (more than
    the 2,048 connections the old front had in all), 300 of them trickling header lines.
    Others still get answers."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, max(8192, resource.getrlimit(resource.RLIMIT_NOFILE)[1])))
    address = urlsplit(one_replica_front.url)
    flood = []
    try:
        for _ in range(3000):
            sock = socket.create_connection((address.hostname, address.port), timeout=5)
            flood.append(sock)
            try:
                sock.sendall(b"GET /api/getvotes HTTP/1.1\r\nHost: x\r\n")
            except OSError:
                pass  # a front out of connections resets them; what matters is the others below
        session = requests.Session()
        timings = []
        for _ in range(20):
            for sock in flood[::10]:
                try:
                    sock.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass
            started = time.monotonic()
            assert session.get(f"{one_replica_front.url}/api/getvotes", timeout=5).status_code == 200
            assert requests.get(f"{one_replica_front.url}/", timeout=5).status_code == 200
            timings.append(time.monotonic() - started)
        print(f"with 3,000 flooding connections, 20 clients answered; slowest {max(timings) * 1000:.0f} ms")
    finally:
        for sock in flood:
            sock.close()
