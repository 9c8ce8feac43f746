"""Votes in PostgreSQL: the schema on a stock server, options added later, Idempotency-Keys.
The routes themselves are in yelb-appserver/tests/test_votes.py."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests


def test_adding_an_option_keeps_existing_counts(appserver_factory, app_env, postgres, database_name):
    first = appserver_factory({**app_env, "YELB_OPTIONS": "alpha,beta"})
    for _ in range(3):
        requests.post(f"{first.url}/api/votes/beta", timeout=5)
    first.stop()
    second = appserver_factory({**app_env, "YELB_OPTIONS": "alpha,beta,gamma"})
    assert requests.get(f"{second.url}/api/getvotes", timeout=5).json() == [
        {"name": "alpha", "value": 0}, {"name": "beta", "value": 3}, {"name": "gamma", "value": 0}]
    assert postgres.counts(database_name) == {"alpha": 0, "beta": 3, "gamma": 0}


def test_schema_is_created_on_a_stock_server_and_reused(postgres, database_name, appserver_factory, app_env):
    """A database that doesn't exist yet is created, then the table and seed rows."""
    with postgres.connect("postgres") as conn:
        assert not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (database_name,)).fetchone()
    server = appserver_factory(app_env)
    requests.get(f"{server.url}/api/ihop", timeout=5)
    # A second replica on the same database sees the same table and counts.
    other = appserver_factory(app_env)
    assert requests.get(f"{other.url}/api/ihop", timeout=5).json() == 2


def test_votes_read_back_from_a_sql_ascii_database(postgres, database_name, appserver_factory, app_env):
    """Older PostgreSQL images made databases in SQL_ASCII; names must still match."""
    with postgres.connect("postgres") as conn:
        conn.execute(f"CREATE DATABASE {database_name} ENCODING 'SQL_ASCII' "
                     "LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    server = appserver_factory(app_env)
    requests.post(f"{server.url}/api/votes/ihop", timeout=5)
    assert requests.get(f"{server.url}/api/getvotes", timeout=5).json()[2] == {"name": "ihop", "value": 1}


@pytest.mark.parametrize("send", [
    lambda api, key: api.post("/api/votes/ihop", headers={"Idempotency-Key": key}),
    lambda api, key: api.get("/api/ihop", headers={"Idempotency-Key": key}),
], ids=["POST", "original GET"])
def test_a_repeated_idempotency_key_counts_once(api, postgres, database_name, send):
    first = send(api, "vote-1")
    again = send(api, "vote-1")
    other = send(api, "vote-2")
    assert [r.status_code for r in (first, again, other)] == [200, 200, 200]
    assert api.counts()["ihop"] == 2
    assert postgres.counts(database_name)["ihop"] == 2
    # The repeat answers what the first answer said (the count it left).
    assert again.text == first.text


def test_concurrent_retries_with_one_key_count_once(api, postgres, database_name):
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda _: api.post(
            "/api/votes/chipotle", headers={"Idempotency-Key": "same-click"}).status_code, range(60)))
    assert statuses == [200] * 60
    assert postgres.counts(database_name)["chipotle"] == 1
