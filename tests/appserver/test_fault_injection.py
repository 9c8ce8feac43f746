"""Fault injection: off by default, only with the token, per replica, visible in readiness and metrics."""

import os
import subprocess
import time

import pytest
import requests

from stack.services import appserver_command

from .test_metrics import scrape, value

TOKEN = "test-fault-token-0123456789"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def faulty(appserver_factory, app_env):
    return appserver_factory({**app_env, "YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": TOKEN},
                             workers=3)


def test_fault_injection_refuses_to_start_without_a_token(app_env):
    result = subprocess.run([appserver_command()], capture_output=True, text=True, timeout=20,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
                                 **app_env, "YELB_FAULT_INJECTION": "true"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "YELB_FAULT_TOKEN" in result.stderr, result.stderr


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"Authorization": "Bearer"},
])
def test_fault_requests_without_the_token_are_401_and_change_nothing(faulty, headers):
    url = f"{faulty.url}/api/faults"
    for method, body in (("PUT", {"error_rate": 1.0}), ("DELETE", None), ("GET", None)):
        answer = requests.request(method, url, json=body, headers=headers, timeout=5)
        assert answer.status_code == 401 and answer.json()["status"] == 401
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Access-Control-Allow-Origin" not in answer.headers
    assert requests.get(f"{faulty.url}/api/getvotes", timeout=5).status_code == 200
    assert requests.get(url, headers=AUTHORIZED, timeout=5).json()["faults"]["error_rate"] == 0


def test_a_cross_site_page_gets_no_cors_grant_for_faults(faulty):
    """The other /api routes keep the original's CORS *; /api/faults answers a preflight without it."""
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "authorization,content-type"}
    assert requests.options(f"{faulty.url}/api/getvotes", headers=preflight, timeout=5).headers[
        "Access-Control-Allow-Origin"] == "*"
    answer = requests.options(f"{faulty.url}/api/faults", headers=preflight, timeout=5)
    assert not any(name.lower().startswith("access-control-") for name in answer.headers)
    assert "Access-Control-Allow-Origin" not in requests.get(f"{faulty.url}/api/faults", timeout=5).headers


def test_faults_are_off_unless_enabled(api):
    response = api.put("/api/faults", json={"latency_ms": 100})
    assert response.status_code == 404
    assert "YELB_FAULT_INJECTION" in response.json()["error"]
    assert api.get("/api/faults").status_code == 404


def test_readiness_fault_is_seen_by_every_worker(faulty):
    url = faulty.url
    answer = requests.put(f"{url}/api/faults", json={"readiness_fail": True}, headers=AUTHORIZED, timeout=5).json()
    assert answer["faults"]["readiness_fail"] is True
    assert answer["hostname"]
    # Several requests, so several of the three workers answer.
    for _ in range(12):
        ready = requests.get(f"{url}/readyz", timeout=5)
        assert ready.status_code == 503
        assert "readiness fault injected" in ready.json()["reasons"]
    assert value(scrape(url), "yelb_fault_injection_active", fault="readiness_fail") == 1
    requests.delete(f"{url}/api/faults", headers=AUTHORIZED, timeout=5)
    assert requests.get(f"{url}/readyz", timeout=5).status_code == 200
    assert value(scrape(url), "yelb_fault_injection_active", fault="readiness_fail") == 0


def test_latency_fault_slows_api_requests(faulty):
    url = faulty.url
    requests.put(f"{url}/api/faults", json={"latency_ms": 400}, headers=AUTHORIZED, timeout=5)
    started = time.monotonic()
    assert requests.get(f"{url}/api/getvotes", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    requests.get(f"{url}/healthz", timeout=5)
    assert time.monotonic() - started < 0.4


def test_error_rate_fault_fails_that_share_of_requests(faulty):
    url = faulty.url
    requests.put(f"{url}/api/faults", json={"error_rate": 1.0}, headers=AUTHORIZED, timeout=5)
    failed = requests.get(f"{url}/api/ihop", timeout=5)
    assert failed.status_code == 500
    assert failed.json()["error"] == "injected fault: error_rate"
    requests.put(f"{url}/api/faults", json={"error_rate": 0.5}, headers=AUTHORIZED, timeout=5)
    statuses = [requests.get(f"{url}/api/getvotes", timeout=5).status_code for _ in range(200)]
    assert 40 < statuses.count(500) < 160
    requests.delete(f"{url}/api/faults", headers=AUTHORIZED, timeout=5)
    assert requests.get(f"{url}/api/getvotes", timeout=5).json()[2] == {"name": "ihop", "value": 0}


def test_dependency_latency_faults_show_in_dependency_metrics(faulty):
    url = faulty.url
    requests.put(f"{url}/api/faults", json={"db_latency_ms": 300, "redis_latency_ms": 200}, headers=AUTHORIZED,
                 timeout=5)
    ready = requests.get(f"{url}/readyz", timeout=5).json()
    assert ready["faults"]["db_latency_ms"] == 300
    started = time.monotonic()
    requests.get(f"{url}/api/getstats", timeout=5)
    assert time.monotonic() - started >= 0.2
    samples = scrape(url)
    assert value(samples, "yelb_fault_injection_active", fault="db_latency_ms") == 1
    assert value(samples, "yelb_fault_injection_active", fault="redis_latency_ms") == 1


@pytest.mark.parametrize("body", [
    {"latency": 5}, {"latency_ms": -1}, {"latency_ms": "5"}, {"error_rate": 2},
    {"readiness_fail": "yes"}, [1, 2],
])
def test_invalid_fault_descriptions_are_400_and_change_nothing(faulty, body):
    url = faulty.url
    response = requests.put(f"{url}/api/faults", json=body, headers=AUTHORIZED, timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]
    assert requests.get(f"{url}/api/faults", headers=AUTHORIZED, timeout=5).json()["faults"]["latency_ms"] == 0


def test_malformed_json_is_400(faulty):
    response = requests.put(f"{faulty.url}/api/faults", data="{not json",
                            headers={"Content-Type": "application/json", **AUTHORIZED}, timeout=5)
    assert response.status_code == 400
