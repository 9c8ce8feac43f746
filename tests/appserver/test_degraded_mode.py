"""Outages of Redis and PostgreSQL: degrade clearly, recover with no restart.

These tests stop and start servers of their own, never the shared ones.
"""

import time

import pytest
import requests

from tests.support.services import PostgresServer, RedisServer, wait_until


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.destroy()


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
    # The new Redis is empty: counting starts again at 1, with no appserver restart.
    assert wait_until(lambda: requests.get(f"{url}/api/getstats", timeout=5).json()["pageviews"],
                      10, "page views to come back") >= 1
    assert requests.get(f"{url}/readyz", timeout=5).json()["status"] == "ready"


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


def test_appserver_starts_while_postgres_is_down_and_catches_up(appserver_factory, own_postgres, redis_server):
    own_postgres.stop()
    server = appserver_factory({**own_postgres.env(), **redis_server.env(),
                                "YELB_DEPENDENCY_TIMEOUT": "1"})
    assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 503
    own_postgres.start()
    wait_until(lambda: requests.get(f"{server.url}/readyz", timeout=5).status_code == 200,
               5, "readiness after PostgreSQL started")
    assert requests.get(f"{server.url}/api/chipotle", timeout=5).json() == 1
