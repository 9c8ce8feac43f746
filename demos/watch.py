"""What the page sees, asked the way the page asks it: through the UI front's /api.

Each function makes the same request the browser's refresh loop makes, so a
demo checks exactly what the room is looking at.
"""

from __future__ import annotations

import statistics
from collections import Counter

import requests

TIMEOUT = 5


def _get(url: str, path: str) -> requests.Response:
    return requests.get(f"{url}{path}", timeout=TIMEOUT)


def _answers(url: str, path: str, samples: int):
    """`samples` GETs of `path` on one connection, as a page's refresh loop sends them."""
    with requests.Session() as session:
        for _ in range(samples):
            yield session.get(f"{url}{path}", timeout=TIMEOUT)


def hostnames(url: str, samples: int = 30) -> Counter:
    """Which appserver answered each of `samples` page refreshes (GET /api/getstats)."""
    return Counter(answer.json()["hostname"] for answer in _answers(url, "/api/getstats", samples) if answer.ok)


def stats(url: str) -> dict:
    """{"hostname": ..., "pageviews": <int or null>} as the "Behind the scenes" panel shows it."""
    return _get(url, "/api/getstats").json()


def readiness(url: str) -> str:
    """The status line's state: ready (green), degraded (amber) or unavailable (red)."""
    return _get(url, "/api/readyz").json()["status"]


def vote(url: str, option: str) -> requests.Response:
    """A press on a Vote button."""
    return requests.post(f"{url}/api/votes/{option}", timeout=TIMEOUT)


def options(url: str) -> list[dict]:
    return _get(url, "/api/options").json()


def votes(url: str) -> dict[str, int]:
    return {entry["name"]: entry["value"] for entry in _get(url, "/api/getvotes").json()}


def version(url: str) -> dict:
    """What the page footer shows: {"version": ..., "revision": ...}."""
    return _get(url, "/api/version").json()


def median_response_ms(url: str, samples: int = 30) -> dict[str, int]:
    """How long a page refresh takes (median, ms), by the appserver that answered it."""
    times: dict[str, list[float]] = {}
    for answer in _answers(url, "/api/getstats", samples):
        if answer.ok:
            times.setdefault(answer.json()["hostname"], []).append(answer.elapsed.total_seconds())
    return {host: round(statistics.median(seconds) * 1000) for host, seconds in sorted(times.items())}


def readiness_by_host(url: str, samples: int = 30) -> dict[str, set[str]]:
    """The status line's states, by the appserver that answered /api/readyz (200 or 503)."""
    states: dict[str, set[str]] = {}
    for answer in _answers(url, "/api/readyz", samples):
        states.setdefault(answer.json()["hostname"], set()).add(answer.json()["status"])
    return states


# Fault injection is not the page's: the front refuses /api/faults, so these talk to one
# replica's own address, with the appservers' YELB_FAULT_TOKEN.

def inject_fault(replica_url: str, fault: dict, token: str) -> str:
    """PUT /api/faults on one replica; returns its host name."""
    response = requests.put(f"{replica_url}/api/faults", json=fault, timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return response.json()["hostname"]


def clear_faults(replica_urls: list[str], token: str) -> set[str]:
    """DELETE /api/faults on each replica; returns the host names that cleared."""
    cleared: set[str] = set()
    for replica_url in replica_urls:
        response = requests.delete(f"{replica_url}/api/faults", timeout=TIMEOUT,
                                   headers={"Authorization": f"Bearer {token}"})
        if response.ok:
            cleared.add(response.json()["hostname"])
    return cleared


def page(url: str, path: str = "/") -> str:
    """A file of the page itself (not /api), as the browser loads it."""
    response = _get(url, path)
    response.raise_for_status()
    return response.text
