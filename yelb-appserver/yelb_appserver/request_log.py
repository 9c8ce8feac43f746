"""One JSON log line per request, tied together by a request id.

An incoming X-Request-ID is honoured when it looks like an id (so a proxy's
id flows through); otherwise a new one is made. The id is returned in the
response's X-Request-ID header and logged with the request.

The request line is the one thing logged on every request, so it skips the
logging module: orjson encodes it and it is written to stdout in one write
(the logging module's records, formatter and handler lock cost more than the
request itself). Every other message goes through logging, as the same JSON.
"""

from __future__ import annotations

import logging
import os
import random
import re
import sys
import time
from typing import Callable

import orjson
from flask import Flask, g, request

from . import metrics, tracing

ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"

log = logging.getLogger("yelb.request")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, TIME_FORMAT),
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage()}
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("yelb")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def new_request_id() -> str:
    # An id only has to be unique, not secret; random is reseeded in each forked worker.
    return f"{random.getrandbits(128):032x}"


class _Clock:
    """The log's timestamp, formatted once per second rather than once per line."""

    def __init__(self):
        self._second, self._text = 0, ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._text, self._second = time.strftime(TIME_FORMAT, time.localtime(second)), second
        return self._text


def line_writer(stream) -> Callable[[bytes], None]:
    """One write system call per line, so lines from the worker's threads never mix."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # a stream in memory, as under pytest's capsys
        def write_text(line: bytes) -> None:
            stream.write(line.decode())
            stream.flush()

        return write_text

    def write(line: bytes) -> None:
        try:
            os.write(descriptor, line)
        except OSError:  # a closed or broken log pipe: as with the logging module, the request goes on
            pass

    return write


def install(app: Flask) -> None:
    write = line_writer(sys.stdout) if log.isEnabledFor(logging.INFO) else None
    clock = _Clock()

    @app.before_request
    def start_request():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if ACCEPTABLE_REQUEST_ID.match(incoming) else new_request_id()

    @app.after_request
    def finish_request(response):
        current = request._get_current_object()  # one context lookup instead of one per attribute
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = current.url_rule.rule if current.url_rule else "unmatched"
        metrics.observe_request(current.method, route, response.status_code, elapsed)
        request_id = g.get("request_id") or new_request_id()
        response.headers["X-Request-ID"] = request_id
        if write:
            write(orjson.dumps({
                "time": clock.now(), "level": "info", "logger": "yelb.request", "message": "request",
                "request_id": request_id, "method": current.method, "path": current.path,
                "route": route, "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2), "remote": current.remote_addr,
                **tracing.log_fields(),
            }, option=orjson.OPT_APPEND_NEWLINE))
        return response
