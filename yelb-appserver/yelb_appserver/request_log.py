"""One JSON log line per request, tied together by a request id.

An incoming X-Request-ID is honoured when it looks like an id (so a proxy's
id flows through); otherwise a new one is made. The id is returned in the
response's X-Request-ID header and logged with the request.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request

from . import metrics, tracing

ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = logging.getLogger("yelb.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("yelb")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def install(app: Flask) -> None:
    @app.before_request
    def start_request():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if ACCEPTABLE_REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def finish_request(response):
        started = g.get("started", time.perf_counter())
        elapsed = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.observe_request(request.method, route, response.status_code, elapsed)
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        log.info("request", extra={"fields": {
            "request_id": request_id, "method": request.method, "path": request.path,
            "route": route, "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 2), "remote": request.remote_addr,
            **tracing.log_fields(),
        }})
        return response
