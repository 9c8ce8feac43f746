"""What a user does: vote through the yelb-ui Service and read the count back; and
what the page's where-am-I panel shows, read through the same Service."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request


def call(base: str, method: str, path: str):
    request = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path}: HTTP {error.code}") from None
    except OSError as error:
        raise AssertionError(f"{method} {path}: {error}") from None


def counts(base: str) -> dict[str, int]:
    return {entry["name"]: entry["value"] for entry in call(base, "GET", "/api/getvotes")}


def vote_checks(base: str):
    """Yields (description, error or None) for each step, in order; stops at the first failure."""
    error = None
    for _ in range(5):  # the front may still be settling its first connections
        try:
            before = counts(base)
            break
        except AssertionError as failure:
            error = str(failure)
            time.sleep(1)
    else:
        yield "GET /api/getvotes through the yelb-ui Service", error
        return
    yield "GET /api/getvotes through the yelb-ui Service", None
    option = next(iter(before))
    try:
        call(base, "POST", f"/api/votes/{option}")
        after_post = counts(base)
        yield (f"POST /api/votes/{option} counts ({before[option]} -> {after_post[option]})",
               None if after_post[option] == before[option] + 1 else "the count did not move by one")
        call(base, "GET", f"/api/{option}")  # the original Yelb's vote route
        after_get = counts(base)
        yield (f"GET /api/{option} (original route) counts ({after_post[option]} -> {after_get[option]})",
               None if after_get[option] == after_post[option] + 1 else "the count did not move by one")
    except AssertionError as failure:
        yield f"vote for {option} through the yelb-ui Service", str(failure)


def whereami_checks(base: str, appserver_pods: set[str], namespace: str, node: str):
    """Yields (description, error or None): /api/whereami through the yelb-ui Service names
    a real appserver pod, its namespace and node, as the downward API gave them."""
    try:
        answers = [call(base, "GET", "/api/whereami") for _ in range(2 * len(appserver_pods) + 2)]
    except AssertionError as failure:
        yield "GET /api/whereami through the yelb-ui Service", str(failure)
        return
    seen = {answer["instance"] for answer in answers}
    yield (f"/api/whereami names the answering pod ({', '.join(sorted(seen))})",
           None if seen <= appserver_pods else f"not an appserver pod: {sorted(seen - appserver_pods)}")
    wrong = [answer for answer in answers
             if (answer["orchestrator"], answer["group"], answer["node"]) != ("kubernetes", namespace, node)]
    yield (f"/api/whereami says kubernetes, namespace {namespace}, node {node}",
           f"answered {wrong[0]}" if wrong else None)
