"""Fault injection, for people testing a platform with Yelb.

Off unless YELB_FAULT_INJECTION=true, and then only for requests that carry
YELB_FAULT_TOKEN as `Authorization: Bearer <token>` (the nginx front never
proxies /api/faults, and no CORS header is sent for it, so neither a visitor
nor a cross-site page can reach it). The faults are scoped to one replica:
PUT /api/faults changes the replica that receives the request, and all the
workers of that replica see the change (it is kept in a small JSON file next
to the metrics files; a run without a metrics folder keeps it in memory).
"""

from __future__ import annotations

import hmac
import json
import os
import random
import socket
import threading
import time

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

FAULTS = {
    "readiness_fail": bool,
    "latency_ms": int,
    "error_rate": float,
    "db_latency_ms": int,
    "redis_latency_ms": int,
}
# Which latency fault applies to which store.
DEPENDENCY_LATENCY_FAULT = {"postgresql": "db_latency_ms", "sqlite": "db_latency_ms",
                            "redis": "redis_latency_ms"}
NO_FAULTS = {"readiness_fail": False, "latency_ms": 0, "error_rate": 0.0,
             "db_latency_ms": 0, "redis_latency_ms": 0}
MAX_LATENCY_MS = 60_000


class FaultError(ValueError):
    pass


def validate(body: object) -> dict:
    """Check a fault description; unknown keys and out-of-range values are errors."""
    if not isinstance(body, dict):
        raise FaultError("body must be a JSON object")
    faults = {}
    for key, value in body.items():
        kind = FAULTS.get(key)
        if kind is None:
            raise FaultError(f"unknown fault {key!r}; known faults: {', '.join(FAULTS)}")
        if kind is bool and not isinstance(value, bool):
            raise FaultError(f"{key} must be true or false")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)
                            or not 0 <= value <= MAX_LATENCY_MS):
            raise FaultError(f"{key} must be a whole number of milliseconds, 0 to {MAX_LATENCY_MS}")
        if kind is float and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not 0 <= value <= 1):
            raise FaultError(f"{key} must be a number from 0 to 1")
        faults[key] = kind(value)
    return faults


class FaultState:
    def __init__(self, enabled: bool, folder: str, initial: dict | None = None):
        self.enabled = enabled
        self._path = os.path.join(folder, "faults.json") if folder else ""
        self._lock = threading.Lock()
        self._faults = dict(NO_FAULTS)
        self._mtime = 0.0
        if initial:  # YELB_FAULTS, already checked by config.py
            self.set(initial)

    def current(self) -> dict:
        if not self.enabled:
            return dict(NO_FAULTS)
        if self._path:
            self._reload()
        return dict(self._faults)

    def _reload(self) -> None:
        try:
            mtime = os.stat(self._path).st_mtime_ns
        except FileNotFoundError:
            mtime = 0
        if mtime == self._mtime:
            return
        with self._lock:
            try:
                with open(self._path) as file:
                    self._faults = {**NO_FAULTS, **json.load(file)}
            except (FileNotFoundError, ValueError):
                self._faults = dict(NO_FAULTS)
            self._mtime = mtime

    def set(self, changes: dict) -> dict:
        faults = {**self.current(), **changes}
        with self._lock:
            self._faults = faults
            if self._path:
                # Write then rename, so a worker never reads half a file.
                temporary = f"{self._path}.{os.getpid()}.tmp"
                with open(temporary, "w") as file:
                    json.dump(faults, file)
                os.replace(temporary, self._path)
        return faults

    def clear(self) -> dict:
        return self.set(dict(NO_FAULTS))

    def latency(self, dependency: str) -> float:
        if not self.enabled:
            return 0.0
        return self.current()[DEPENDENCY_LATENCY_FAULT[dependency]] / 1000

    def before_api_request(self) -> None:
        """Apply request latency and the error rate to an /api request."""
        faults = self.current()
        if faults["latency_ms"]:
            time.sleep(faults["latency_ms"] / 1000)
        if faults["error_rate"] and random.random() < faults["error_rate"]:
            abort(500, description="injected fault: error_rate")


blueprint = Blueprint("faults", __name__)


def _state() -> FaultState:
    yelb = current_app.extensions["yelb"]
    if not yelb.faults.enabled:
        abort(404, description="fault injection is disabled; start the appserver with "
                               "YELB_FAULT_INJECTION=true to enable it")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    # Constant time: the answer's timing must not tell how much of a guess was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                             yelb.config.fault_token.encode()):
        raise Unauthorized("fault injection needs the header Authorization: Bearer <YELB_FAULT_TOKEN>",
                           www_authenticate=WWWAuthenticate("bearer", {"realm": "yelb-faults"}))
    return yelb.faults


def _answer(faults: dict):
    return jsonify(faults=faults, hostname=socket.gethostname())


@blueprint.get("/api/faults")
def show():
    return _answer(_state().current())


@blueprint.put("/api/faults")
def change():
    state = _state()
    body = request.get_json(silent=True)
    if body is None:
        abort(400, description="body must be JSON, e.g. {\"latency_ms\": 200}")
    try:
        changes = validate(body)
    except FaultError as exc:
        abort(400, description=str(exc))
    return _answer(state.set(changes))


@blueprint.delete("/api/faults")
def clear():
    return _answer(_state().clear())
