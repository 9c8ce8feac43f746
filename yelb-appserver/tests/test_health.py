"""/healthz, /readyz and /version."""

import platform
import socket
import subprocess
from pathlib import Path

import yelb_appserver


def test_healthz_is_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_each_dependency_with_latency(client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "ready"
    assert body["hostname"] == socket.gethostname()
    assert body["backend"] == "sqlite"
    assert {name: check["dependency"] for name, check in body["checks"].items()} == {
        "votes": "sqlite", "pageviews": "sqlite"}
    for check in body["checks"].values():
        assert check["status"] == "up"
        assert 0 <= check["latency_ms"] < 1000
    assert client.get("/api/readyz").get_json()["status"] == "ready"


def test_healthz_touches_no_dependency(make_app):
    # Nothing listens on port 1: both servers are down.
    client = make_app(YELB_DB_SERVER_ENDPOINT="127.0.0.1", YELB_DB_PORT="1",
                      REDIS_SERVER_ENDPOINT="127.0.0.1", REDIS_SERVER_PORT="1",
                      YELB_DEPENDENCY_TIMEOUT="0.5").test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["status"] == "unavailable"
    assert {check["status"] for check in ready.get_json()["checks"].values()} == {"down"}


def test_version_names_package_revision_and_python(client):
    version = client.get("/version").get_json()
    assert version["version"] == "1.0.0"
    assert version["python"] == platform.python_version()
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True,
                          cwd=Path(yelb_appserver.__file__).parent).stdout.strip()
    assert version["revision"] == (head or "unknown")
    assert client.get("/api/version").get_json() == version


def test_revision_comes_from_the_environment_when_set(make_app):
    client = make_app(YELB_GIT_REVISION="0123456789ab").test_client()
    assert client.get("/version").get_json()["revision"] == "0123456789ab"


def test_without_page_views_the_appserver_is_degraded_but_ready(make_app):
    client = make_app(REDIS_SERVER_ENDPOINT="127.0.0.1", REDIS_SERVER_PORT="1").test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "degraded" and "reasons" not in body
    assert (body["checks"]["votes"]["status"], body["checks"]["pageviews"]["status"]) == ("up", "down")
    assert client.get("/api/getstats").get_json() == {
        "hostname": socket.gethostname(), "pageviews": None, "pageviews_available": False}
    assert client.post("/api/votes/ihop").get_json() == {"name": "ihop", "value": 1}
