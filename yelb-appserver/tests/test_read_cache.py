"""Results are read once and shared between readers, and votes stay exact.

Two apps on one SQLite file stand for two replicas; two apps that also share the
metrics folder stand for two workers of one replica.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client import REGISTRY

FAULTS = {"YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": "read-cache-test-token"}


def ihop(client) -> int:
    return {row["name"]: row["value"] for row in client.get("/api/getvotes").get_json()}["ihop"]


def database_reads() -> float:
    return REGISTRY.get_sample_value("yelb_dependency_latency_seconds_count",
                                     {"dependency": "sqlite", "operation": "read"}) or 0


@pytest.fixture
def two_replicas(make_app, tmp_path):
    """Two apps on the same votes, each with a metrics folder of its own."""
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()

    def build(**settings: str):
        return (make_app(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "a"), **settings).test_client(),
                make_app(PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "b"), **settings).test_client())

    return build


def test_a_vote_answers_its_exact_count_while_results_are_cached(make_app):
    client = make_app(YELB_READ_CACHE_SECONDS="30").test_client()
    assert ihop(client) == 0
    assert [client.post("/api/votes/ihop").get_json()["value"] for _ in range(3)] == [1, 2, 3]
    assert client.get("/api/ihop").get_json() == 4


def test_readers_share_one_query_until_another_replica_votes_and_the_bound_passes(two_replicas):
    reader, voter = two_replicas(YELB_READ_CACHE_SECONDS="30")
    reads_before = database_reads()
    assert [ihop(reader) for _ in range(5)] == [0] * 5
    assert database_reads() - reads_before == 1
    voter.post("/api/votes/ihop")
    assert ihop(reader) == 0  # another replica's vote waits for the bound


def test_another_replicas_vote_shows_once_the_bound_has_passed(two_replicas):
    reader, voter = two_replicas(YELB_READ_CACHE_SECONDS="0.2")
    assert ihop(reader) == 0
    voter.post("/api/votes/ihop")
    time.sleep(0.2)
    assert ihop(reader) == 1


def test_a_vote_through_any_worker_of_the_replica_shows_at_once(make_app):
    # Same metrics folder: two workers of one replica.
    reader, voter = (make_app(YELB_READ_CACHE_SECONDS="30").test_client() for _ in range(2))
    assert ihop(reader) == 0
    voter.post("/api/votes/ihop")
    assert ihop(reader) == 1
    reader.post("/api/votes/ihop")
    assert ihop(reader) == 2


def test_concurrent_readers_wait_for_one_query_instead_of_each_making_one(make_app):
    # A slow database (injected latency) keeps the first query in flight while the others arrive.
    client = make_app(YELB_READ_CACHE_SECONDS="30", YELB_FAULTS='{"db_latency_ms": 300}', **FAULTS).test_client()
    reads_before = database_reads()
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: client.get("/api/getvotes").status_code, range(20)))
    assert answers == [200] * 20
    assert database_reads() - reads_before == 1


def test_zero_turns_the_cache_off(make_app):
    client = make_app(YELB_READ_CACHE_SECONDS="0").test_client()
    reads_before = database_reads()
    for _ in range(3):
        ihop(client)
    assert database_reads() - reads_before == 3


def test_concurrent_votes_are_exact_and_each_answer_is_its_own_count(make_app):
    client = make_app(YELB_READ_CACHE_SECONDS="30").test_client()

    def vote_then_read(_: int) -> int:
        count = client.post("/api/votes/ihop").get_json()["value"]
        ihop(client)
        return count

    with ThreadPoolExecutor(10) as pool:
        answers = sorted(pool.map(vote_then_read, range(100)))
    assert answers == list(range(1, 101))
    assert ihop(client) == 100

