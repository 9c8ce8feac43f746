"""/readyz on real PostgreSQL and Redis. The rest of health and version is in
yelb-appserver/tests/test_health.py."""

import socket


def test_readyz_reports_each_dependency_with_latency(api):
    # The first check of a new replica also creates its database and opens its connections
    # (over 1 s once on a loaded CI machine); the latency asked about is a running replica's.
    api.get("/readyz")
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
        assert 0 <= check["latency_ms"] < 1000, body
    assert api.get("/api/readyz").json()["status"] == "ready"
