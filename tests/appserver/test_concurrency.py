"""Votes are atomic: N concurrent votes always add exactly N."""

from concurrent.futures import ThreadPoolExecutor

import requests

VOTES = 2000
THREADS = 50


def test_2000_votes_from_50_threads_are_all_counted(appserver_factory, app_env, postgres, database_name):
    server = appserver_factory(app_env, workers=3)
    options = ["outback", "bucadibeppo", "ihop", "chipotle"]

    def cast(index: int) -> int:
        option = options[index % len(options)]
        with requests.Session() as session:
            # Mix the original GET route and the new POST route.
            if index % 2:
                return session.get(f"{server.url}/api/{option}", timeout=30).status_code
            return session.post(f"{server.url}/api/votes/{option}", timeout=30).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = list(pool.map(cast, range(VOTES)))

    assert statuses.count(200) == VOTES
    assert sum(postgres.counts(database_name).values()) == VOTES
    assert postgres.counts(database_name) == dict.fromkeys(options, VOTES // len(options))


def test_concurrent_votes_on_the_embedded_store_are_all_counted(appserver_factory):
    server = appserver_factory({}, workers=3)

    def cast(_: int) -> int:
        return requests.post(f"{server.url}/api/votes/ihop", timeout=30).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(cast, range(500)))
    assert statuses.count(200) == 500
    assert requests.get(f"{server.url}/api/getvotes", timeout=5).json()[2] == {"name": "ihop", "value": 500}
