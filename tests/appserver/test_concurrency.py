"""Votes are atomic: N concurrent votes always add exactly N. Page views too, sharing round trips."""

import os
import signal
import time
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


def test_concurrent_page_views_share_redis_round_trips_and_each_gets_its_own_count(
        appserver_factory, app_env, own_redis):
    views = 8
    # One worker with a thread and a Bulkhead slot for every view, and time to wait on Redis.
    server = appserver_factory({**app_env, **own_redis.env(), "YELB_REDIS_TIMEOUT": "5",
                                "YELB_APPSERVER_THREADS": str(views + 1)}, workers=1)
    url = f"{server.url}/api/getstats"
    start = requests.get(url, timeout=5).json()["pageviews"]
    redis = own_redis.client()
    redis.config_resetstat()

    # Frozen while the views arrive, so they overlap as they would on a busy Redis.
    os.kill(own_redis.process.pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(views) as pool:
            answers = pool.map(lambda _: requests.get(url, timeout=30), range(views))
            time.sleep(0.5)
            os.kill(own_redis.process.pid, signal.SIGCONT)
            answers = list(answers)
    finally:
        os.kill(own_redis.process.pid, signal.SIGCONT)

    assert sorted(answer.json()["pageviews"] for answer in answers) == list(range(start + 1, start + views + 1))
    assert int(redis.get("pageviews")) == start + views
    commands = redis.info("commandstats")
    round_trips = sum(commands.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("incr", "incrby"))
    assert round_trips <= views // 2, f"{round_trips} round trips for {views} concurrent views"
