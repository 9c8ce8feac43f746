"""What happens around every request, in one WSGI wrapper around the Flask app.

Every answer gets:
- a request id in X-Request-ID: the caller's when it looks like an id (so a proxy's
  id flows through), else a new one;
- the replica's release headers (replica.py);
- on /api/ routes, the original's CORS grant, except on the paths the app keeps to
  itself (`Yelb.private_paths`);
- one JSON log line (request_log.py) and the request metrics (metrics.py).

One WSGI wrapper rather than Flask's before- and after-request hooks: these answer
headers are checked once, at start, instead of by Werkzeug on every request, and
Flask's per-hook dispatch is skipped. Together that was about a third of what an
/api/hostname request cost in-process (bench/README.md).
"""

from __future__ import annotations

import re
import time
from typing import Callable, Iterable

from werkzeug.datastructures import Headers

from . import metrics, request_log, tracing

ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_HEADER = "X-Request-ID"

CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Headers", "Authorization,Accepts,Content-Type,X-CSRF-Token,X-Requested-With"),
    ("Access-Control-Allow-Methods", "GET,POST,PUT,DELETE,OPTIONS"),
)


class EveryRequest:
    def __init__(self, wsgi_app: Callable, answer_headers: Iterable[tuple[str, str]], private_paths: set[str]):
        self._app = wsgi_app
        # Checked once, here: Werkzeug refuses a value that would split the answer.
        self._answer_headers = Headers(answer_headers).to_wsgi_list()
        self._api_headers = self._answer_headers + list(CORS_HEADERS)
        self._private_paths = private_paths  # read on each request: install() calls may add to it
        self._write_line = request_log.request_line_writer()

    def __call__(self, environ: dict, start_response: Callable):
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if ACCEPTABLE_REQUEST_ID.match(incoming) else request_log.new_request_id()
        path = environ.get("PATH_INFO", "")
        if path.startswith("/api/") and path not in self._private_paths:
            added = [(REQUEST_ID_HEADER, request_id), *self._api_headers]
        else:
            added = [(REQUEST_ID_HEADER, request_id), *self._answer_headers]
        answered = []

        def start_with_our_headers(status: str, headers: list, exc_info=None):
            # Flask's request object is in the environ until the request ends: its matched
            # rule is the route's template.
            answered.append((status, environ.get("werkzeug.request")))
            headers.extend(added)
            return start_response(status, headers, exc_info)

        body = self._app(environ, start_with_our_headers)
        elapsed = time.perf_counter() - started
        status, request = answered[-1] if answered else ("500", None)
        status = int(status[:3])
        rule = request.url_rule if request is not None else None
        route = rule.rule if rule is not None else "unmatched"
        method = environ.get("REQUEST_METHOD", "")
        metrics.observe_request(method, route, status, elapsed)
        if self._write_line:
            self._write_line(request_id, method, request.path if request is not None else path, route,
                             status, elapsed, environ.get("REMOTE_ADDR"), tracing.log_fields(environ))
        return body


def install(app, answer_headers: Iterable[tuple[str, str]], private_paths: set[str]) -> None:
    app.wsgi_app = EveryRequest(app.wsgi_app, answer_headers, private_paths)
