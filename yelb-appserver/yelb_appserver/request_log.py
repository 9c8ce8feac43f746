"""One JSON log line per request, tied together by a request id.

An incoming X-Request-ID is honoured when it looks like an id (so a proxy's
id flows through); otherwise a new one is made. The id is returned in the
response's X-Request-ID header and logged with the request (middleware.py
does both, around every request).

The request line is the one thing logged on every request, so it skips the
logging module (its records, formatter and handler lock cost more than the
request itself): orjson encodes it, and batched_lines.py writes the lines to
stdout in batches. Every other message goes through logging, as the same JSON.
"""

from __future__ import annotations

import logging
import random
import sys
import time
from typing import Callable

import orjson

from .batched_lines import batched_writer

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
    """Log timestamps, formatted once per second rather than once per line."""

    def __init__(self):
        self._second, self._text = 0, ""

    def text(self, when: float) -> str:
        second = int(when)
        if second != self._second:
            self._text, self._second = time.strftime(TIME_FORMAT, time.localtime(second)), second
        return self._text


_clock = _Clock()


def encode_request_line(fields: tuple) -> bytes:
    """One request line, from the fields the request left (request_line_writer)."""
    ended, request_id, method, path, route, status, seconds, remote, trace_fields = fields
    return orjson.dumps({
        "time": _clock.text(ended), "level": "info", "logger": "yelb.request", "message": "request",
        "request_id": request_id, "method": method, "path": path, "route": route,
        "status": status, "duration_ms": round(seconds * 1000, 2), "remote": remote,
        **trace_fields,
    }, option=orjson.OPT_APPEND_NEWLINE)


def request_line_writer() -> Callable[..., None] | None:
    """What logs a request's line, or None when the log level leaves request lines out.

    To standard output in batches (batched_lines.py); at once when it is a stream in
    memory, as under pytest's capsys.
    """
    if not log.isEnabledFor(logging.INFO):
        return None
    stream = sys.stdout
    try:
        add = batched_writer(stream.fileno(), encode_request_line)
    except (AttributeError, OSError, ValueError):
        def add(fields: tuple) -> None:
            stream.write(encode_request_line(fields).decode())
            stream.flush()

    def write_request_line(request_id: str, method: str, path: str, route: str, status: int,
                           seconds: float, remote: str | None, trace_fields: dict) -> None:
        add((time.time(), request_id, method, path, route, status, seconds, remote, trace_fields))

    return write_request_line
