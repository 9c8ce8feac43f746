"""Shared fixtures: one throwaway PostgreSQL and one Redis for the whole run.

Tests that need isolation get a database of their own (`database_name`): the
appserver creates a missing database itself, so a new name is a clean slate.
"""

from __future__ import annotations

import itertools
import os
import sys
import uuid
from pathlib import Path

import pytest

from stack.services import AppServer, PostgresServer, RedisServer

# kubectl, shellcheck, actionlint and hadolint are wheels of requirements-dev.txt, installed next
# to this Python: first on the PATH, for the tests and every command they start.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@pytest.fixture(scope="session")
def postgres():
    # Not under pytest's tmp folder: that one is private to root, and the server
    # runs as the postgres user.
    server = PostgresServer().start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.destroy()


@pytest.fixture
def database_name() -> str:
    return f"yelb_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def appserver_factory(tmp_path_factory):
    """Start appserver processes; all of them are killed when the test ends."""
    started: list[AppServer] = []
    counter = itertools.count()

    def start(env: dict | None = None, wait: bool = True, **kwargs) -> AppServer:
        server = AppServer(env, base_dir=tmp_path_factory.mktemp(f"app{next(counter)}"), **kwargs)
        started.append(server)
        return server.start(wait=wait)

    yield start
    for server in started:
        server.destroy()


CHROMIUM = os.environ.get("YELB_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run: Playwright's sync API allows one instance at a time,
    so the UI and demo tests share it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
