"""Fault injection through /api/faults: off by default, only with the token, shared by
the workers of one replica, visible in readiness and metrics."""

import time

import pytest

TOKEN = "test-fault-token-0123456789"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def make_faulty(make_app):
    """One worker of a replica with fault injection on; workers made in one test share its faults."""
    return lambda: make_app(YELB_FAULT_INJECTION="true", YELB_FAULT_TOKEN=TOKEN).test_client()


@pytest.fixture
def faulty(make_faulty):
    return make_faulty()


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": "Bearer"},
])
def test_fault_requests_without_the_token_are_401_and_change_nothing(faulty, headers):
    for method, body in (("PUT", {"error_rate": 1.0}), ("DELETE", None), ("GET", None)):
        answer = faulty.open("/api/faults", method=method, json=body, headers=headers)
        assert answer.status_code == 401 and answer.get_json()["status"] == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Access-Control-Allow-Origin" not in answer.headers
    assert faulty.get("/api/getvotes").status_code == 200
    assert faulty.get("/api/faults", headers=AUTHORIZED).get_json()["faults"]["error_rate"] == 0


def test_a_cross_site_page_gets_no_cors_grant_for_faults(faulty):
    """The other /api routes keep the original's CORS *; /api/faults answers a preflight without it."""
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    assert faulty.options("/api/getvotes", headers=preflight).headers["Access-Control-Allow-Origin"] == "*"
    answer = faulty.options("/api/faults", headers=preflight)
    assert not any(name.lower().startswith("access-control-") for name in answer.headers.keys())
    assert "Access-Control-Allow-Origin" not in faulty.get("/api/faults").headers


def test_faults_are_off_unless_enabled(client):
    response = client.put("/api/faults", json={"latency_ms": 100}, headers=AUTHORIZED)
    assert response.status_code == 404
    assert "YELB_FAULT_INJECTION" in response.get_json()["error"]
    assert client.get("/api/faults", headers=AUTHORIZED).status_code == 404


def test_readiness_fault_is_seen_by_every_worker(make_faulty):
    workers = [make_faulty() for _ in range(3)]
    answer = workers[0].put("/api/faults", json={"readiness_fail": True}, headers=AUTHORIZED).get_json()
    assert answer["faults"]["readiness_fail"] is True
    assert answer["hostname"]
    for worker in workers:
        ready = worker.get("/readyz")
        assert ready.status_code == 503
        assert "readiness fault injected" in ready.get_json()["reasons"]
        assert worker.metric("yelb_fault_injection_active", fault="readiness_fail") == 1
    workers[1].delete("/api/faults", headers=AUTHORIZED)
    for worker in workers:
        assert worker.get("/readyz").status_code == 200
        assert worker.metric("yelb_fault_injection_active", fault="readiness_fail") == 0


def test_latency_fault_slows_api_requests_only(faulty):
    faulty.put("/api/faults", json={"latency_ms": 300}, headers=AUTHORIZED)
    started = time.monotonic()
    assert faulty.get("/api/getvotes").status_code == 200
    assert time.monotonic() - started >= 0.3
    # A delay far longer than any machine needs for /healthz, so only the fault could exceed it.
    faulty.put("/api/faults", json={"latency_ms": 20_000}, headers=AUTHORIZED)
    started = time.monotonic()
    assert faulty.get("/healthz").status_code == 200
    assert time.monotonic() - started < 10


def test_error_rate_fault_fails_that_share_of_requests(faulty):
    faulty.put("/api/faults", json={"error_rate": 1.0}, headers=AUTHORIZED)
    failed = faulty.get("/api/ihop")
    assert failed.status_code == 500
    assert failed.get_json()["error"] == "injected fault: error_rate"
    faulty.put("/api/faults", json={"error_rate": 0.5}, headers=AUTHORIZED)
    statuses = [faulty.get("/api/getvotes").status_code for _ in range(200)]
    assert 40 < statuses.count(500) < 160
    faulty.delete("/api/faults", headers=AUTHORIZED)
    assert faulty.get("/api/getvotes").get_json()[2] == {"name": "ihop", "value": 0}


def test_dependency_latency_faults_show_in_readiness_and_metrics(faulty):
    faulty.put("/api/faults", json={"db_latency_ms": 300, "redis_latency_ms": 200}, headers=AUTHORIZED)
    assert faulty.get("/readyz").get_json()["faults"]["db_latency_ms"] == 300
    started = time.monotonic()
    faulty.get("/api/getstats")  # page views in the embedded store: the database's latency
    assert time.monotonic() - started >= 0.3
    samples = faulty.metrics()
    assert samples[("yelb_fault_injection_active", (("fault", "db_latency_ms"),))] == 1
    assert samples[("yelb_fault_injection_active", (("fault", "redis_latency_ms"),))] == 1


@pytest.mark.parametrize("body", [
    {"latency": 5}, {"latency_ms": -1}, {"latency_ms": "5"}, {"error_rate": 2},
    {"readiness_fail": "yes"}, [1, 2],
])
def test_invalid_fault_descriptions_are_400_and_change_nothing(faulty, body):
    before = faulty.get("/api/faults", headers=AUTHORIZED).get_json()["faults"]
    response = faulty.put("/api/faults", json=body, headers=AUTHORIZED)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert faulty.get("/api/faults", headers=AUTHORIZED).get_json()["faults"] == before


def test_malformed_json_is_400(faulty):
    response = faulty.put("/api/faults", data="{not json",
                          headers={"Content-Type": "application/json", **AUTHORIZED})
    assert response.status_code == 400
