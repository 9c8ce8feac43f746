"""A real appserver's /metrics, with every metric family the appserver exports made to appear."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from stack.services import AppServer, free_port


@pytest.fixture(scope="module")
def exported_metrics(postgres, tmp_path_factory) -> dict[str, set[str]]:
    """Sample name -> label names, scraped from a running appserver after it has voted,
    counted a page view, failed to reach Redis (nothing listens on its port) and had a
    fault injected, so that labelled series of every kind exist."""
    env = {**postgres.env("yelb_observability"), "REDIS_SERVER_ENDPOINT": "127.0.0.1",
           "REDIS_SERVER_PORT": str(free_port()), "YELB_DEPENDENCY_TIMEOUT": "0.5",
           "YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": "test-fault-token-0123456789"}
    server = AppServer(env, workers=1, base_dir=tmp_path_factory.mktemp("observed-appserver")).start()
    try:
        api = requests.Session()
        assert api.post(f"{server.url}/api/votes/ihop", timeout=5).status_code == 200
        assert api.get(f"{server.url}/api/getvotes", timeout=5).status_code == 200
        assert api.get(f"{server.url}/api/getstats", timeout=5).json()["pageviews_available"] is False
        assert api.get(f"{server.url}/readyz", timeout=5).status_code == 200
        assert api.put(f"{server.url}/api/faults", json={"latency_ms": 1}, timeout=5,
                       headers={"Authorization": f"Bearer {env['YELB_FAULT_TOKEN']}"}).status_code == 200
        text = api.get(f"{server.url}/metrics", timeout=5).text
    finally:
        server.destroy()
    samples: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, set()).update(sample.labels)
    return samples


@pytest.fixture(scope="module")
def fresh_start_metrics(postgres, redis_server, tmp_path_factory) -> str:
    """/metrics of a healthy appserver just started: probed for readiness once, as an
    orchestrator does, and scraped, with no other request."""
    env = {**postgres.env("yelb_fresh_start"), **redis_server.env()}
    server = AppServer(env, workers=1, base_dir=tmp_path_factory.mktemp("fresh-appserver")).start()
    try:
        assert requests.get(f"{server.url}/readyz", timeout=5).json()["status"] == "ready"
        requests.get(f"{server.url}/metrics", timeout=5)  # Prometheus' first scrape
        return requests.get(f"{server.url}/metrics", timeout=5).text
    finally:
        server.destroy()
