"""Idempotency-Keys stay bounded: expired keys are pruned continuously in small
batches off the request and connection paths, a flood of them never stops a
replica from reconnecting, and a key reused for another option is refused, in PostgreSQL
and in the embedded store under several gunicorn workers. The same rules on the embedded
store in-process: yelb-appserver/tests/test_idempotency.py.

Every flood is inserted directly in bulk (bounded in rows and time) instead of
being voted in, which would take an hour of real time."""

from __future__ import annotations

import sqlite3
import statistics
import time
import uuid

import psycopg
import pytest
from yelb_appserver.stores import PRUNE_BATCH_ROWS, VOTE_KEY_RETENTION_SECONDS
from yelb_appserver.stores import SCHEMA
from yelb_appserver.stores.postgres import DELETE_EXPIRED_KEYS
from yelb_appserver.stores.sqlite_file import connect

from stack.services import wait_until

from .conftest import Client

# The flood: enough expired keys that one DELETE of them all outlasts the connect
# budget below (about 0.4 s here for a million rows), inserted in ~10 s.
FLOOD_ROWS = 1_000_000
FLOOD_DEPENDENCY_TIMEOUT = "0.25"
EXPIRED = f"now() - interval '{VOTE_KEY_RETENTION_SECONDS + 3600} seconds'"


@pytest.fixture
def api(appserver_factory, postgres, database_name):
    """An appserver with its votes, and so its keys, in PostgreSQL."""
    return Client(appserver_factory(postgres.env(database_name)).url)


def keyed(api, option: str, key: str, route: str = "new"):
    if route == "new":
        return api.post(f"/api/votes/{option}", headers={"Idempotency-Key": key})
    return api.get(f"/api/{option}", headers={"Idempotency-Key": key})


@pytest.mark.parametrize("route", ["new", "original"])
def test_key_reused_for_another_option_is_refused_and_counts_nothing(api, route):
    key = uuid.uuid4().hex
    assert keyed(api, "ihop", key, route).status_code == 200
    before = api.counts()
    reused = keyed(api, "chipotle", key, route)
    assert reused.status_code == 422
    assert reused.headers["Content-Type"] == "application/json"
    body = reused.json()
    assert body["status"] == 422 and "'ihop'" in body["error"] and "Idempotency-Key" in body["error"]
    assert api.counts() == before
    # The same key for the same option is still a retry: answered, not counted again.
    assert keyed(api, "ihop", key, route).status_code == 200
    assert api.counts() == before


def postgres_keys(postgres, database_name, condition: str = "true") -> int:
    with postgres.connect(database_name) as conn:
        return conn.execute(f"SELECT count(*) FROM vote_keys WHERE {condition}").fetchone()[0]


def sqlite_keys(path, condition: str = "1") -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM vote_keys WHERE {condition}").fetchone()[0]


def test_expired_keys_are_pruned_while_serving_not_only_at_start(api, postgres, database_name):
    fresh = uuid.uuid4().hex
    assert keyed(api, "ihop", fresh).status_code == 200
    # Every worker connected and served before the keys expire: from here on no
    # new connection is needed, so only pruning while serving can delete them.
    for _ in range(20):
        assert api.get("/api/getvotes").status_code == 200
    time.sleep(1)
    expired_rows = 3 * PRUNE_BATCH_ROWS + 7
    with postgres.connect(database_name) as conn:
        conn.execute(f"INSERT INTO vote_keys (key, name, voted_at) SELECT 'old-' || i, 'ihop', {EXPIRED} "
                     f"FROM generate_series(1, {expired_rows}) i")
    started = time.monotonic()
    wait_until(lambda: postgres_keys(postgres, database_name) == 1, 20, "the expired keys to be pruned")
    print(f"postgresql: {expired_rows} expired keys pruned within {time.monotonic() - started:.1f}s, "
          "the fresh one kept")
    # The fresh key is still remembered: its retry counts nothing.
    before = api.counts()
    assert keyed(api, "ihop", fresh).status_code == 200
    assert api.counts() == before


def answers_everything(api) -> bool:
    vote = api.post("/api/votes/ihop", headers={"Idempotency-Key": uuid.uuid4().hex})
    return all(r.status_code == 200 for r in (vote, api.get("/api/getvotes"), api.get("/readyz")))


def test_unique_key_flood_then_forced_reconnect_keeps_answering(appserver_factory, postgres, database_name):
    """A production outage, scaled to this machine: with a million expired keys a
    reconnect that deletes them all outlasts the connect budget, so every vote,
    getvotes and readyz answered 503 for ever. Now connecting costs the same
    whatever the table holds, and the keys go in small batches."""
    server = appserver_factory({**postgres.env(database_name), "YELB_DEPENDENCY_TIMEOUT": FLOOD_DEPENDENCY_TIMEOUT})
    api = Client(server.url)
    wait_until(lambda: answers_everything(api), 15, "the appserver to answer (it creates its database)")
    with psycopg.connect(host=postgres.host, port=postgres.port, dbname=database_name, user="postgres",
                         password="postgres_password", autocommit=True,
                         options="-c statement_timeout=120000") as admin:
        started = time.monotonic()
        admin.execute(f"INSERT INTO vote_keys (key, name, voted_at) SELECT md5(i::text), 'ihop', {EXPIRED} "
                      f"FROM generate_series(1, {FLOOD_ROWS}) i")
        print(f"flood: {FLOOD_ROWS:,} expired keys inserted in {time.monotonic() - started:.1f}s")
        # The forced reconnect: every appserver connection is cut, as a PostgreSQL
        # restart or the pool's recycling does.
        terminated = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE datname = %s AND application_name = 'yelb-appserver'",
                                   (database_name,)).fetchone()[0]
        assert terminated >= 1
        cut = time.monotonic()

    # The old code never answers again; a slow round on a loaded machine only restarts the count.
    streak, first_answer = 0, None
    deadline = cut + 30
    while streak < 10:
        assert time.monotonic() < deadline, (
            f"no 10 rounds in a row of vote, getvotes and readyz answered 200 within 30 s of the "
            f"reconnect; last: {api.get('/readyz').text[:300]}")
        if answers_everything(api):
            streak += 1
            first_answer = first_answer or time.monotonic() - cut
        else:
            streak = 0
            time.sleep(0.1)
    print(f"after the reconnect: answering {first_answer:.2f}s after the connections were cut")

    # The replica's own pruning, measured while it serves.
    before, measured_from = postgres_keys(postgres, database_name), time.monotonic()
    time.sleep(8)
    pruned = before - postgres_keys(postgres, database_name)
    assert pruned > 0, "no expired key was pruned in 8 s"
    print(f"appserver pruning: {pruned:,} keys in 8 s ({pruned / (time.monotonic() - measured_from):,.0f} rows/s "
          f"with 2 workers, at most 10 batches of {PRUNE_BATCH_ROWS} per worker every ~2 s)")

    # The cost of one batch, timed alone: with the replica stopped, whose pruning would
    # otherwise delete the same first rows under the timed statement (which then finds none).
    server.stop()
    with postgres.connect(database_name) as conn:
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            deleted = conn.execute(DELETE_EXPIRED_KEYS, (VOTE_KEY_RETENTION_SECONDS, PRUNE_BATCH_ROWS)).rowcount
            timings.append(time.perf_counter() - started)
            assert deleted == PRUNE_BATCH_ROWS
    per_batch = statistics.median(timings)
    print(f"one batch of {PRUNE_BATCH_ROWS} expired keys: median {per_batch * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms ({PRUNE_BATCH_ROWS / per_batch:,.0f} rows/s)")


def test_sqlite_workers_start_on_a_flooded_file_and_prune_it_while_serving(appserver_factory, tmp_path):
    """Before, the first worker deleted every expired key at start in one write
    while the others waited, and those that waited too long died with "database
    is locked". Now all start at once and the keys go in small batches."""
    path = tmp_path / "flooded.sqlite3"
    rows = 1_000_000
    with connect(str(path), 5) as conn:
        conn.executescript(SCHEMA)
        started = time.monotonic()
        conn.execute("BEGIN")
        conn.execute(f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
                         INSERT INTO vote_keys (key, name, voted_at)
                         SELECT printf('%032d', i), 'ihop', datetime('now', '-2 hours') FROM n""")
        conn.execute("COMMIT")
        print(f"flood: {rows:,} expired keys inserted in {time.monotonic() - started:.1f}s")
    # A short busy timeout: workers that wait longer than this for the file die at boot.
    server = appserver_factory({"YELB_SQLITE_PATH": str(path), "YELB_DEPENDENCY_TIMEOUT": "0.5"},
                               workers=4, wait=False)
    server.wait_healthy()
    api = Client(server.url)
    answers = [api.post("/api/votes/ihop", headers={"Idempotency-Key": uuid.uuid4().hex}).status_code
               for _ in range(40)]
    assert answers == [200] * 40
    log = server.log_text()
    assert "database is locked" not in log and "Worker failed to boot" not in log and "Traceback" not in log
    assert server.process.poll() is None
    before = sqlite_keys(path, "voted_at < datetime('now', '-1 hours')")
    time.sleep(6)
    pruned = before - sqlite_keys(path, "voted_at < datetime('now', '-1 hours')")
    assert pruned > 0
    print(f"sqlite pruning with 4 workers: {pruned:,} keys in 6 s ({pruned / 6:,.0f} rows/s)")


@pytest.mark.parametrize("key_chars", [32, 128])
def test_storage_cost_per_key(postgres, database_name, tmp_path, key_chars):
    """Bytes one remembered key takes, table and indexes together, as the README
    documents it: nginx's keys are 32 characters, the longest allowed 128."""
    rows = 100_000
    key = "md5(i::text)" if key_chars == 32 else "repeat(md5(i::text), 4)"
    with postgres.connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{database_name}"')
    with postgres.connect(database_name) as conn:
        conn.execute(SCHEMA)
        conn.execute(f"INSERT INTO vote_keys (key, name) SELECT {key}, 'bucadibeppo' "
                     f"FROM generate_series(1, {rows}) i")
        conn.execute("VACUUM ANALYZE vote_keys")
        postgres_bytes = conn.execute("SELECT pg_total_relation_size('vote_keys')").fetchone()[0] / rows
    path = tmp_path / "cost.sqlite3"
    with connect(str(path), 5) as conn:
        conn.executescript(SCHEMA)
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO vote_keys (key, name) VALUES (?, 'bucadibeppo')",
                         [((uuid.uuid4().hex * 4)[:key_chars],) for _ in range(rows)])
        conn.execute("COMMIT")
        conn.execute("VACUUM")
        pages = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'vote_keys%' "
                             "OR name LIKE 'sqlite_autoindex_vote_keys%'").fetchone()[0]
    sqlite_bytes = pages / rows
    print(f"{key_chars}-character keys: PostgreSQL {postgres_bytes:.0f} bytes per key, "
          f"SQLite {sqlite_bytes:.0f} bytes per key")
    bound = {32: 250, 128: 600}[key_chars]
    assert postgres_bytes < bound and sqlite_bytes < bound
