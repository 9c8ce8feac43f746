"""Redis connections stay bounded by the replica's threads, however many readers come.

Each request thread keeps one connection of its own (stores/redis.py), so a flood of page
views can hold at most workers x threads connections, and every view is still counted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

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

    def view(_) -> int:
        with requests.Session() as session:  # a new connection to the appserver for each reader
            return session.get(f"{server.url}/api/getstats", timeout=10).status_code

    peak = 0
    with ThreadPoolExecutor(READERS) as readers:
        answers = readers.map(view, range(VIEWS))
        statuses = []
        for status in answers:
            statuses.append(status)
            peak = max(peak, connections())
    assert statuses == [200] * VIEWS
    assert int(redis.get("pageviews")) == VIEWS
    assert 1 <= peak <= WORKERS * THREADS, f"{peak} connections to Redis for {WORKERS} x {THREADS} threads"
    assert connections() <= WORKERS * THREADS
