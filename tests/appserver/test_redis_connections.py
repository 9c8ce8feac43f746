"""Redis connections: bounded by the replica's threads, however many readers come, and
timed out by the kernel.

Each request thread keeps one connection of its own (stores/redis.py), so a flood of page
views can hold at most workers x threads connections, and every view is still counted."""

from __future__ import annotations

import os
import signal
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from yelb_appserver.config import Config
from yelb_appserver.dependencies import DependencyError
from yelb_appserver.stores.redis import RedisPageViewStore

WORKERS, THREADS = 2, 4
READERS, VIEWS = 32, 400


def test_a_flood_of_page_views_holds_at_most_one_connection_per_thread(appserver_factory, postgres,
                                                                       database_name, own_redis):
    server = appserver_factory({**postgres.env(database_name), **own_redis.env(),
                                "YELB_APPSERVER_THREADS": str(THREADS)}, workers=WORKERS)
    redis = own_redis.client()
    ours = redis.client_id()

    def connections() -> int:
        return sum(1 for client in redis.client_list() if client["id"] != str(ours))

    def view(_) -> requests.Response:
        with requests.Session() as session:  # a new connection to the appserver for each reader
            return session.get(f"{server.url}/api/getstats", timeout=10)

    peak = 0
    with ThreadPoolExecutor(READERS) as readers:
        answers = []
        for answer in readers.map(view, range(VIEWS)):
            answers.append(answer)
            peak = max(peak, connections())
    assert [answer.status_code for answer in answers] == [200] * VIEWS
    # On a starved machine the bulkhead may turn a view away (answered without page views).
    counted = sum(answer.json().get("pageviews_available", True) for answer in answers)
    assert counted >= VIEWS * 0.9
    assert int(redis.get("pageviews")) == counted
    assert 1 <= peak <= WORKERS * THREADS, f"{peak} connections to Redis for {WORKERS} x {THREADS} threads"
    assert connections() <= WORKERS * THREADS


def test_a_command_waits_in_the_kernel_and_a_hung_redis_is_cut_off_at_the_timeout(own_redis, tmp_path,
                                                                                  monkeypatch):
    """No timeout of Python's own on the socket (it would poll before each send and receive):
    the kernel's receive and send timeouts bound a hung Redis instead."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    store = RedisPageViewStore(Config.from_env({**own_redis.env(), "YELB_REDIS_TIMEOUT": "0.3"}))
    assert store.increment() == 1
    sock = store._per_thread.client.connection._sock
    assert sock.gettimeout() is None
    for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
        seconds, microseconds = struct.unpack("ll", sock.getsockopt(socket.SOL_SOCKET, option, 16))
        assert seconds + microseconds / 1e6 == pytest.approx(0.3, abs=0.01)

    os.kill(own_redis.process.pid, signal.SIGSTOP)  # alive, connected, never answering
    try:
        started = time.monotonic()
        with pytest.raises(DependencyError, match=r"no answer within YELB_REDIS_TIMEOUT \(0.3 s\)"):
            store.increment()
        waited = time.monotonic() - started
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)
    assert waited < 3, f"a hung Redis held the call {waited:.1f} s with a 0.3 s timeout"
    assert store.increment() >= 2  # a new connection, with no restart


def test_a_redis_restart_costs_no_page_view(own_redis, tmp_path, monkeypatch):
    """Each thread's connection outlives a Redis restart as a closed socket: the next command
    finds it closed and is sent again at once on a new connection (the lose-cache demo's
    "within a refresh or two page views count again")."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    store = RedisPageViewStore(Config.from_env(own_redis.env()))
    assert store.increment() == 1
    own_redis.restart()  # a new, empty Redis on the same port
    assert store.increment() == 1
    assert store.increment() == 2
