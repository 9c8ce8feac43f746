"""Concurrent page views in a worker share one write to the store, and each is still counted.

The views are made to overlap by holding the SQLite file's write lock from another
connection while they arrive, as a slow store would; triggers count the writes.
"""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

VIEWS = 12
# Long enough for every view to reach the store while its write lock is held.
ARRIVAL_S = 0.5

COUNT_WRITES = """
CREATE TABLE counter_writes (at INTEGER);
CREATE TRIGGER counted_by_insert AFTER INSERT ON counters BEGIN INSERT INTO counter_writes VALUES (1); END;
CREATE TRIGGER counted_by_update AFTER UPDATE ON counters BEGIN INSERT INTO counter_writes VALUES (1); END;
"""


def views_while_the_store_is_locked(app, path: str, locked_for: float) -> list[dict]:
    clients = [app.test_client() for _ in range(VIEWS)]
    with closing(sqlite3.connect(path, isolation_level=None)) as lock:
        lock.execute("BEGIN IMMEDIATE")
        with ThreadPoolExecutor(VIEWS) as pool:
            answers = pool.map(lambda client: client.get("/api/getstats"), clients)
            time.sleep(locked_for)
            lock.execute("COMMIT")
            answers = list(answers)
    assert all(answer.status_code == 200 for answer in answers)
    return [answer.get_json() for answer in answers]


def writes_and_total(path: str) -> tuple[int, int]:
    with closing(sqlite3.connect(path)) as conn:
        writes = conn.execute("SELECT count(*) FROM counter_writes").fetchone()[0]
        total = conn.execute("SELECT value FROM counters WHERE name = 'pageviews'").fetchone()[0]
    return writes, total


def test_concurrent_views_share_writes_and_each_gets_its_own_count(make_app, tmp_path):
    app = make_app()
    path = str(tmp_path / "yelb.sqlite3")
    start = app.test_client().get("/api/getstats").get_json()["pageviews"]
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(COUNT_WRITES)

    answers = views_while_the_store_is_locked(app, path, ARRIVAL_S)

    counts = sorted(answer["pageviews"] for answer in answers)
    assert counts == list(range(start + 1, start + VIEWS + 1))
    writes, total = writes_and_total(path)
    assert total == start + VIEWS
    # One write for the view that found the store free, one for those that waited behind it.
    assert writes <= VIEWS // 2, f"{writes} writes for {VIEWS} concurrent views"


def test_a_failed_shared_write_fails_each_of_its_views_as_page_views_unavailable(make_app, tmp_path):
    app = make_app(YELB_DEPENDENCY_TIMEOUT="0.2")
    path = str(tmp_path / "yelb.sqlite3")
    start = app.test_client().get("/api/getstats").get_json()["pageviews"]

    # Held past the timeout of the write in flight and of the one waiting behind it.
    answers = views_while_the_store_is_locked(app, path, 1.0)

    assert answers == [{"hostname": answers[0]["hostname"], "pageviews": None,
                        "pageviews_available": False}] * VIEWS
    assert app.test_client().get("/api/getstats").get_json()["pageviews"] == start + 1
