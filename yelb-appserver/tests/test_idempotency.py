"""An Idempotency-Key makes a retried vote count once, a key reused for another option
is refused, and expired keys are pruned while the app serves."""

import sqlite3
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest


def keyed(client, option: str, key: str, route: str = "new"):
    if route == "new":
        return client.post(f"/api/votes/{option}", headers={"Idempotency-Key": key})
    return client.get(f"/api/{option}", headers={"Idempotency-Key": key})


@pytest.mark.parametrize("route", ["new", "original"])
def test_a_repeated_idempotency_key_counts_once(client, route):
    first = keyed(client, "ihop", "vote-1", route)
    again = keyed(client, "ihop", "vote-1", route)
    other = keyed(client, "ihop", "vote-2", route)
    assert [r.status_code for r in (first, again, other)] == [200, 200, 200]
    assert client.counts()["ihop"] == 2
    # The repeat answers what the first answer said (the count it left).
    assert again.data == first.data


def test_embedded_store_honours_idempotency_keys(client):
    for _ in range(3):
        assert keyed(client, "outback", "k").get_json() == {"name": "outback", "value": 1}
    assert client.post("/api/votes/outback").get_json()["value"] == 2


def test_concurrent_retries_with_one_key_count_once(app):
    def retry(_: int) -> int:
        return keyed(app.test_client(), "chipotle", "same-click").status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(retry, range(60)))
    assert statuses == [200] * 60
    assert app.test_client().counts()["chipotle"] == 1


@pytest.mark.parametrize("route", ["new", "original"])
def test_key_reused_for_another_option_is_refused_and_counts_nothing(client, route):
    key = uuid.uuid4().hex
    assert keyed(client, "ihop", key, route).status_code == 200
    before = client.counts()
    reused = keyed(client, "chipotle", key, route)
    assert reused.status_code == 422
    assert reused.headers["Content-Type"] == "application/json"
    body = reused.get_json()
    assert body["status"] == 422 and "'ihop'" in body["error"] and "Idempotency-Key" in body["error"]
    assert client.counts() == before
    # The same key for the same option is still a retry: answered, not counted again.
    assert keyed(client, "ihop", key, route).status_code == 200
    assert client.counts() == before


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "non-ascii-é"])
def test_a_malformed_idempotency_key_is_400_and_counts_nothing(client, key):
    response = client.post("/api/votes/ihop", headers={"Idempotency-Key": key.encode().decode("latin-1")})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.get_json()["error"]
    assert client.counts()["ihop"] == 0


def test_expired_keys_are_pruned_while_serving_not_only_at_start(client, tmp_path, wait_until):
    fresh = uuid.uuid4().hex
    assert keyed(client, "ihop", fresh).status_code == 200
    # Several of the pruner's small batches (1,000 rows each), all gone within one run.
    expired_rows = 3_007
    with sqlite3.connect(tmp_path / "yelb.sqlite3") as conn:
        conn.executemany("INSERT INTO vote_keys (key, name, voted_at) "
                         "VALUES (?, 'ihop', datetime('now', '-2 hours'))",
                         [(f"old-{i}",) for i in range(expired_rows)])

    def remaining() -> int:
        with sqlite3.connect(tmp_path / "yelb.sqlite3") as conn:
            return conn.execute("SELECT count(*) FROM vote_keys").fetchone()[0]

    wait_until(lambda: remaining() == 1, 20, "the expired keys to be pruned")
    # The fresh key is still remembered: its retry counts nothing.
    before = client.counts()
    assert keyed(client, "ihop", fresh).status_code == 200
    assert client.counts() == before
