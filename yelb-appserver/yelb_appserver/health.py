"""Liveness and readiness.

/healthz says the process answers and touches nothing else, so a database
outage never gets the appserver restarted. /readyz checks each dependency and
says how long it took: 503 when votes can't be stored (or the replica is
shutting down), 200 "degraded" when only page views are unavailable.
"""

from __future__ import annotations

import socket
import time

from flask import Blueprint, current_app, jsonify

from .dependencies import DependencyError
from .shutdown import draining

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    return jsonify(status="ok")


def _check(store) -> dict:
    started = time.perf_counter()
    try:
        store.ping()
        result = {"status": "up"}
    except DependencyError as exc:
        result = {"status": "down", "error": exc.public}
    result["dependency"] = store.dependency
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result


@blueprint.get("/readyz")
@blueprint.get("/api/readyz")
def readyz():
    yelb = current_app.extensions["yelb"]
    checks = {"votes": _check(yelb.votes), "pageviews": _check(yelb.pageviews)}
    reasons = []
    if checks["votes"]["status"] == "down":
        reasons.append(f"{yelb.votes.dependency} is down")
    if draining.is_set():
        reasons.append("shutting down")
    if reasons:
        status, code = "unavailable", 503
    elif checks["pageviews"]["status"] == "down":
        status, code = "degraded", 200
    else:
        status, code = "ready", 200
    body = {"status": status, "hostname": socket.gethostname(), "backend": yelb.votes.dependency,
            "checks": checks}
    if reasons:
        body["reasons"] = reasons
    return jsonify(body), code
