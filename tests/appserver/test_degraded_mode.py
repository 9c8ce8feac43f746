"""Outages of Redis and PostgreSQL: degrade clearly, recover with no restart.

These tests stop and start servers of their own, never the shared ones.
"""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.appserver.test_metrics import scrape
from stack.services import PostgresServer, free_port, wait_until


@pytest.fixture
def own_postgres():
    server = PostgresServer().start()
    yield server
    server.destroy()


def test_redis_killed_mid_run_degrades_page_views_only(appserver_factory, postgres, database_name, own_redis):
    server = appserver_factory({**postgres.env(database_name), **own_redis.env()})
    url = server.url
    assert requests.get(f"{url}/api/getstats", timeout=5).json()["pageviews"] == 1

    own_redis.kill()
    stats = requests.get(f"{url}/api/getstats", timeout=5)
    assert stats.status_code == 200
    assert stats.json()["pageviews"] is None
    assert stats.json()["pageviews_available"] is False
    assert stats.json()["hostname"]
    assert requests.get(f"{url}/api/ihop", timeout=5).json() == 1
    assert requests.post(f"{url}/api/votes/ihop", timeout=5).json()["value"] == 2
    assert requests.get(f"{url}/api/getvotes", timeout=5).status_code == 200
    pageviews = requests.get(f"{url}/api/pageviews", timeout=5)
    assert pageviews.status_code == 503
    assert pageviews.json()["dependency"] == "redis"
    ready = requests.get(f"{url}/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["pageviews"]["status"] == "down"

    own_redis.start()
    # The new Redis is empty: counting starts again at 1, with no appserver restart. Each
    # worker finds it again when its circuit lets a call through (YELB_REDIS_CIRCUIT_OPEN, 2 s).
    assert wait_until(lambda: requests.get(f"{url}/api/getstats", timeout=5).json()["pageviews"],
                      10, "page views to come back") >= 1
    wait_until(lambda: requests.get(f"{url}/readyz", timeout=5).json()["status"] == "ready",
               10, "readiness to say ready")


def test_postgres_stopped_gives_503_then_recovers_by_itself(appserver_factory, own_postgres, redis_server):
    server = appserver_factory({**own_postgres.env(), **redis_server.env(),
                                "YELB_DEPENDENCY_TIMEOUT": "1"})
    url = server.url
    # As an orchestrator would: no traffic before ready (creating the database on this
    # brand-new server can take longer than the 1 s timeout on a loaded machine).
    wait_until(lambda: requests.get(f"{url}/readyz", timeout=5).status_code == 200, 10, "readiness")
    assert requests.get(f"{url}/api/outback", timeout=5).json() == 1

    own_postgres.stop()
    started = time.monotonic()
    vote = requests.post(f"{url}/api/votes/outback", timeout=10)
    waited = time.monotonic() - started
    assert vote.status_code == 503
    assert vote.json()["dependency"] == "postgresql"
    assert "postgresql is unavailable" in vote.json()["error"]
    assert waited < 3, f"a vote waited {waited:.1f}s with a 1s dependency timeout"
    assert requests.get(f"{url}/api/outback", timeout=10).status_code == 503
    assert requests.get(f"{url}/api/getvotes", timeout=10).status_code == 503
    ready = requests.get(f"{url}/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["reasons"] == ["postgresql is down"]
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 200
    assert requests.get(f"{url}/api/getstats", timeout=5).status_code == 200

    own_postgres.start()
    back = time.monotonic()
    wait_until(lambda: requests.post(f"{url}/api/votes/outback", timeout=10).status_code == 200,
               5, "votes to succeed again")
    print(f"votes succeeded again {time.monotonic() - back:.2f}s after PostgreSQL returned")
    assert own_postgres.counts()["outback"] == 2
    assert requests.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"


def test_connections_left_in_the_pool_by_a_postgres_restart_never_fail_a_vote(
        appserver_factory, own_postgres, redis_server):
    server = appserver_factory({**own_postgres.env(), **redis_server.env()}, workers=1)
    url = server.url
    wait_until(lambda: requests.get(f"{url}/readyz", timeout=5).status_code == 200, 10, "readiness")
    # Votes at once, so the worker's pool holds several connections when the server goes away.
    with ThreadPoolExecutor(8) as voters:
        assert all(status == 200 for status in voters.map(
            lambda _: requests.post(f"{url}/api/votes/ihop", timeout=10).status_code, range(32)))

    own_postgres.restart()
    with ThreadPoolExecutor(8) as voters:
        statuses = list(voters.map(
            lambda _: requests.post(f"{url}/api/votes/ihop", timeout=10).status_code, range(32)))
    assert statuses == [200] * 32, statuses
    assert own_postgres.counts()["ihop"] == 64


def test_appserver_starts_while_postgres_is_down_and_catches_up(appserver_factory, own_postgres, redis_server):
    own_postgres.stop()
    server = appserver_factory({**own_postgres.env(), **redis_server.env(),
                                "YELB_DEPENDENCY_TIMEOUT": "1"})
    assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 503
    own_postgres.start()
    wait_until(lambda: requests.get(f"{server.url}/readyz", timeout=5).status_code == 200,
               5, "readiness after PostgreSQL started")
    assert requests.get(f"{server.url}/api/chipotle", timeout=5).json() == 1


def redis_calls(url: str) -> float:
    """Calls the appserver has made to Redis so far, whatever their outcome."""
    return sum(value for (name, labels), value in scrape(url).items()
               if name == "yelb_dependency_latency_seconds_count" and ("dependency", "redis") in labels)


def test_a_hung_redis_is_left_alone_then_picked_up_again(appserver_factory, postgres, database_name, own_redis):
    server = appserver_factory({**postgres.env(database_name), **own_redis.env(),
                                "YELB_DEPENDENCY_TIMEOUT": "1", "YELB_REDIS_CIRCUIT_OPEN": "3"}, workers=1)
    url = server.url
    assert requests.get(f"{url}/api/getstats", timeout=5).json()["pageviews"] == 1
    asked_before = redis_calls(url)

    os.kill(own_redis.process.pid, signal.SIGSTOP)  # alive, connected, never answering
    try:
        answers = [requests.get(f"{url}/api/getstats", timeout=10).json() for _ in range(10)]
        asked_while_hung = redis_calls(url) - asked_before
        assert requests.post(f"{url}/api/votes/ihop", timeout=5).json()["value"] == 1
        ready = requests.get(f"{url}/readyz", timeout=5).json()
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)

    assert all(answer["pageviews_available"] is False for answer in answers)
    # Three timeouts open the circuit; the other reads do not ask Redis (one may probe it).
    assert asked_while_hung <= 4, f"Redis was asked {asked_while_hung:.0f} times for 10 reads"
    assert ready["status"] == "degraded" and ready["checks"]["pageviews"]["status"] == "down"
    # Thawed: the next probe finds Redis again, with no restart.
    wait_until(lambda: requests.get(f"{url}/api/getstats", timeout=5).json()["pageviews"] is not None,
               15, "page views to come back")
    assert requests.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"
    assert server.process.poll() is None


def test_public_errors_name_the_dependency_not_its_address(appserver_factory):
    """Nothing listens at either address; the 503s say which dependency, only the log says where."""
    db_port, redis_port = free_port(), free_port()
    server = appserver_factory({"YELB_DB_SERVER_ENDPOINT": "127.0.0.1", "YELB_DB_PORT": str(db_port),
                                "REDIS_SERVER_ENDPOINT": "127.0.0.1", "REDIS_SERVER_PORT": str(redis_port),
                                "YELB_DEPENDENCY_TIMEOUT": "1"}, workers=1)
    answers = {
        "redis": requests.get(f"{server.url}/api/pageviews", timeout=10),
        "postgresql": requests.post(f"{server.url}/api/votes/ihop", timeout=10),
    }
    for dependency, answer in answers.items():
        assert answer.status_code == 503
        assert answer.json() == {"error": f"{dependency} is unavailable", "status": 503,
                                 "dependency": dependency}
    readiness = requests.get(f"{server.url}/api/readyz", timeout=10)
    assert readiness.status_code == 503
    for body in [answer.text for answer in answers.values()] + [readiness.text]:
        assert str(db_port) not in body and str(redis_port) not in body and "127.0.0.1" not in body
    log = server.log_text()
    assert str(db_port) in log and str(redis_port) in log, "the log must keep the detail"
