"""The voting API: the original Yelb's routes, and the newer ones next to them.

Original (all GET, kept for drop-in compatibility): /api/getvotes,
/api/getstats, /api/pageviews, /api/hostname, and /api/<option> to vote.
New: GET /api/options, POST /api/votes/<option>, and GET /api/stats (getstats
without counting a page view). Both ways to vote count a vote once per
Idempotency-Key, when one is sent.
"""

from __future__ import annotations

import json
import re
import socket

from flask import Blueprint, Response, abort, current_app, jsonify, request

from . import metrics
from .dependencies import DependencyError
from .stores import IdempotencyKeyReused

blueprint = Blueprint("api", __name__, url_prefix="/api")

# An Idempotency-Key makes a retried vote count once (the nginx front sends one
# with every request, the same on its retries). Keys are opaque, short, ASCII.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization,Accepts,Content-Type,X-CSRF-Token,X-Requested-With",
    "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
}


def _yelb():
    return current_app.extensions["yelb"]


def bare_json(value) -> Response:
    """The original answers some routes with a bare JSON value, such as 12."""
    return Response(json.dumps(value), mimetype="application/json")


def _cast_vote(option: str) -> int:
    yelb = _yelb()
    if option not in yelb.option_names:
        abort(404, description=f"unknown option {option[:40]!r}; options are "
                               f"{', '.join(yelb.option_names)}")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        abort(400, description="Idempotency-Key must be 1-128 characters of A-Z, a-z, 0-9, "
                               "'.', '_', ':' or '-'")
    try:
        count = yelb.votes.vote(option, key)
    except IdempotencyKeyReused as reused:
        abort(422, description=f"this Idempotency-Key already counted a vote for "
                               f"{reused.first_option!r}; a key counts one vote for one option, "
                               f"so send a new key with a new vote")
    metrics.VOTES.labels(option).inc()
    return count


def _count_pageview() -> int:
    count = _yelb().pageviews.increment()
    metrics.PAGEVIEWS.inc()
    return count


@blueprint.get("/getvotes")
def getvotes():
    yelb = _yelb()
    counts = yelb.votes.counts()
    return jsonify([{"name": name, "value": counts.get(name, 0)} for name in yelb.option_names])


def _stats(read_pageviews) -> Response:
    stats = {"hostname": socket.gethostname()}
    try:
        stats["pageviews"] = read_pageviews()
    except DependencyError:
        # Page views are a nicety: the page keeps working without them.
        stats.update(pageviews=None, pageviews_available=False)
    return jsonify(stats)


@blueprint.get("/getstats")
def getstats():
    return _stats(_count_pageview)


@blueprint.get("/stats")
def stats():
    """Like getstats without counting a view: for a page that refreshes itself."""
    return _stats(_yelb().pageviews.current)


@blueprint.get("/pageviews")
def pageviews():
    return bare_json(_count_pageview())


@blueprint.get("/hostname")
def hostname():
    return Response(socket.gethostname(), mimetype="text/plain")


@blueprint.get("/options")
def options():
    return jsonify([option.as_json() for option in _yelb().options])


@blueprint.get("/<option>")
def vote_compatible(option: str):
    return bare_json(_cast_vote(option))


@blueprint.post("/votes/<option>")
def vote(option: str):
    return jsonify(name=option, value=_cast_vote(option))


@blueprint.after_app_request
def add_cors_headers(response: Response) -> Response:
    if request.path.startswith("/api/"):
        response.headers.update(CORS_HEADERS)
    return response
