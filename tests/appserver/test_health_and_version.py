"""/healthz, /readyz and /version."""

import platform
import socket
import subprocess

import requests


def test_healthz_is_ok(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency_with_latency(api):
    ready = api.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert body["hostname"] == socket.gethostname()
    assert body["backend"] == "postgresql"
    assert body["checks"]["votes"]["dependency"] == "postgresql"
    assert body["checks"]["pageviews"]["dependency"] == "redis"
    for check in body["checks"].values():
        assert check["status"] == "up"
        assert 0 <= check["latency_ms"] < 1000
    assert api.get("/api/readyz").json()["status"] == "ready"


def test_healthz_touches_no_dependency(appserver_factory, app_env):
    server = appserver_factory({**app_env, "YELB_DB_PORT": "1", "REDIS_SERVER_PORT": "1",
                                "YELB_DEPENDENCY_TIMEOUT": "0.5"})
    assert requests.get(f"{server.url}/healthz", timeout=5).status_code == 200
    ready = requests.get(f"{server.url}/readyz", timeout=5)
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert {check["status"] for check in ready.json()["checks"].values()} == {"down"}


def test_version_names_package_revision_and_python(api):
    version = api.get("/version").json()
    assert version["version"] == "1.0.0"
    assert version["python"] == platform.python_version()
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert version["revision"] == (head or "unknown")
    assert api.get("/api/version").json() == version


def test_revision_comes_from_the_environment_when_set(appserver_factory, app_env):
    server = appserver_factory({**app_env, "YELB_GIT_REVISION": "0123456789ab"})
    assert requests.get(f"{server.url}/version", timeout=5).json()["revision"] == "0123456789ab"
