"""The voting API: the original Yelb's routes, and the newer ones next to them.

Original (all GET, kept for drop-in compatibility): /api/getvotes,
/api/getstats, /api/pageviews, /api/hostname, and /api/<option> to vote.
New: GET /api/options, POST /api/votes/<option>, and GET /api/stats (getstats
without counting a page view). Both ways to vote count a vote once per
Idempotency-Key, when one is sent.

A vote is a GET in the original, so any link, crawler or cross-site <img> can
cast one: YELB_VOTE_BY_GET=false turns that route off, and a HEAD never votes.
YELB_ONE_VOTE_PER_BROWSER=true counts one vote per browser per set of options.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import Blueprint, Response, abort, after_this_request, current_app, jsonify, request
from werkzeug.exceptions import MethodNotAllowed

from . import metrics
from .dependencies import DependencyError
from .stores import IdempotencyKeyReused

blueprint = Blueprint("api", __name__, url_prefix="/api")

# An Idempotency-Key makes a retried vote count once (the nginx front sends one
# with every request, the same on its retries). Keys are opaque, short, ASCII.
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _yelb():
    return current_app.extensions["yelb"]


def bare_json(value) -> Response:
    """The original answers some routes with a bare JSON value, such as 12."""
    return Response(json.dumps(value), mimetype="application/json")


# YELB_ONE_VOTE_PER_BROWSER: the browser keeps which set of options it voted on. A new set
# (other YELB_OPTIONS) is a new vote. Clearing cookies votes again: the front's per-address
# rate limit is the hard bound, this is the room's good manners.
VOTED_COOKIE = "yelb_voted"
VOTED_COOKIE_SECONDS = 7 * 24 * 3600


def option_set_id(names: list[str]) -> str:
    return hashlib.sha256(",".join(names).encode()).hexdigest()[:16]


def _cast_vote(option: str) -> int:
    yelb = _yelb()
    if option not in yelb.option_names:
        abort(404, description=f"unknown option {option[:40]!r}; options are "
                               f"{', '.join(yelb.option_names)}")
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        abort(400, description="Idempotency-Key must be 1-128 characters of A-Z, a-z, 0-9, "
                               "'.', '_', ':' or '-'")
    if yelb.config.one_vote_per_browser:
        voted_on = option_set_id(yelb.option_names)
        if request.cookies.get(VOTED_COOKIE) == voted_on:
            abort(409, description="this browser has already voted on these options")

        @after_this_request
        def remember_the_vote(response: Response) -> Response:
            if response.status_code == 200:  # a refused vote leaves the browser free to vote
                response.set_cookie(VOTED_COOKIE, voted_on, max_age=VOTED_COOKIE_SECONDS, path="/api/",
                                    httponly=True, samesite="Strict")
            return response
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
    stats = {"hostname": _yelb().hostname}
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
    return Response(_yelb().hostname, mimetype="text/plain")


@blueprint.get("/options")
def options():
    return jsonify([option.as_json() for option in _yelb().options])


@blueprint.get("/<option>")
def vote_compatible(option: str):
    # Flask answers HEAD with any GET route; a HEAD (a link preview, a checker) must not vote.
    if request.method == "HEAD":
        raise MethodNotAllowed(["GET"] if _yelb().config.vote_by_get else [],
                               "HEAD does not vote; GET /api/<option> or POST /api/votes/<option> does")
    if not _yelb().config.vote_by_get:
        raise MethodNotAllowed([], "voting with GET is turned off (YELB_VOTE_BY_GET=false); "
                                   "vote with POST /api/votes/<option>")
    return bare_json(_cast_vote(option))


@blueprint.post("/votes/<option>")
def vote(option: str):
    return jsonify(name=option, value=_cast_vote(option))
