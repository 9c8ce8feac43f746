"""Fixtures of the whole-stack scenarios: a running Stack, and a way to print a figure.

Each scenario prints the figure it measured; the same lines go to
artifacts/stack-figures.txt (or $YELB_ARTIFACTS_DIR) so CI keeps them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stack import Stack

ARTIFACTS_DIR = Path(os.environ.get("YELB_ARTIFACTS_DIR", Path(__file__).parents[2] / "artifacts"))
# Short dependency timeout: an outage answers 503 after 1 s instead of 2 s, keeping scenarios short.
DEPENDENCY_TIMEOUT_S = 1.0
# The scenarios' clients all come from 127.0.0.1 and vote as fast as they can: they stand for a
# whole room behind one address, so the front's per-address limits are lifted for them
# (tests/ui/test_nginx_front.py checks the limits themselves, at their defaults).
ROOM_BEHIND_ONE_ADDRESS = {"YELB_UI_VOTE_RATE": "10000", "YELB_UI_VOTE_BURST": "10000",
                           "YELB_UI_CONNECTIONS_PER_CLIENT": "10000"}


@pytest.fixture
def stack_factory(tmp_path, postgres, redis_server):
    """Start a Stack. With own_dependencies=True it gets a PostgreSQL and Redis of its own,
    for the scenarios that stop them; otherwise it shares the session's (with a database of its own)."""
    started: list[Stack] = []

    def start(replicas: int = 3, own_dependencies: bool = False, env: dict | None = None) -> Stack:
        shared = {} if own_dependencies else {"postgres": postgres, "redis": redis_server}
        stack = Stack(replicas, base_dir=tmp_path / f"stack{len(started)}",
                      env={"YELB_DEPENDENCY_TIMEOUT": str(DEPENDENCY_TIMEOUT_S), **(env or {})},
                      front_settings=ROOM_BEHIND_ONE_ADDRESS, **shared)
        started.append(stack)
        return stack.start()

    yield start
    for stack in started:
        stack.stop()


@pytest.fixture
def figure(request):
    """figure("text"): print a scenario's measured figure and keep it in the artifacts file."""

    def record(text: str) -> None:
        line = f"{request.node.nodeid}: {text}"
        print(line)
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        with open(ARTIFACTS_DIR / "stack-figures.txt", "a", encoding="utf-8") as artifacts:
            artifacts.write(line + "\n")

    return record
