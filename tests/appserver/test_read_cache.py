"""Shared results against real PostgreSQL: votes exact, each vote's answer exact, the bound kept."""

import time
from concurrent.futures import ThreadPoolExecutor

import requests

VOTES = 400
BOUND_SECONDS = 0.25  # YELB_READ_CACHE_SECONDS's default


def ihop(url: str) -> int:
    return requests.get(f"{url}/api/getvotes", timeout=10).json()[2]["value"]


def test_concurrent_votes_among_readers_are_exact_and_answer_their_own_count(appserver_factory, app_env):
    server = appserver_factory(app_env, workers=2)

    def vote_then_read(_: int) -> int:
        with requests.Session() as session:
            count = session.post(f"{server.url}/api/votes/ihop", timeout=30).json()["value"]
            session.get(f"{server.url}/api/getvotes", timeout=30).raise_for_status()
            return count

    with ThreadPoolExecutor(20) as pool:
        answers = sorted(pool.map(vote_then_read, range(VOTES)))
    assert answers == list(range(1, VOTES + 1))
    # Same replica: no wait for the bound.
    assert ihop(server.url) == VOTES


def test_a_vote_through_another_replica_shows_within_the_bound(appserver_factory, app_env):
    reader, voter = appserver_factory(app_env), appserver_factory(app_env)
    for _ in range(4):  # both workers of the reader hold a copy
        assert ihop(reader.url) == 0
    assert requests.post(f"{voter.url}/api/votes/ihop", timeout=10).json()["value"] == 1
    time.sleep(BOUND_SECONDS)
    assert [ihop(reader.url) for _ in range(4)] == [1] * 4
