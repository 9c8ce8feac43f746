"""One JSON log line per request, tied together by a request id.

An incoming X-Request-ID is honoured when it looks like an id (so a proxy's
id flows through); otherwise a new one is made. The id is returned in the
response's X-Request-ID header and logged with the request (middleware.py
does both, around every request).

The request line is the one thing logged on every request, so it skips the
logging module: orjson encodes it and it is written to stdout in one write
(the logging module's records, formatter and handler lock cost more than the
request itself). Every other message goes through logging, as the same JSON.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import time
from typing import Callable

import orjson

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


def request_line_writer() -> Callable[..., None] | None:
    """What writes a request's line, or None when the log level leaves request lines out."""
    if not log.isEnabledFor(logging.INFO):
        return None
    write = line_writer(sys.stdout)
    clock = _Clock()

    def write_request_line(request_id: str, method: str, path: str, route: str, status: int,
                           seconds: float, remote: str | None, trace_fields: dict) -> None:
        write(orjson.dumps({
            "time": clock.now(), "level": "info", "logger": "yelb.request", "message": "request",
            "request_id": request_id, "method": method, "path": path, "route": route,
            "status": status, "duration_ms": round(seconds * 1000, 2), "remote": remote,
            **trace_fields,
        }, option=orjson.OPT_APPEND_NEWLINE))

    return write_request_line
