"""Fixtures for the UI tests: a real Chromium driven by Playwright, and the real
appserver (with throwaway PostgreSQL and Redis) serving yelb-ui/public itself.

Screenshots land in tests/ui/artifacts/ (git-ignored), or in $YELB_TEST_ARTIFACTS.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stack.nginx import PUBLIC_DIR

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone size, in CSS pixels
# The page refreshes every second in the tests, so "it refreshes by itself" is seen quickly.
REFRESH_SECONDS = 1


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    folder = Path(os.environ.get("YELB_TEST_ARTIFACTS", Path(__file__).parent / "artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class PageProblems:
    """Console errors, uncaught exceptions and failed requests seen by one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: self.errors.append(f"request failed: {request.url}"))


@pytest.fixture
def open_page(browser):
    """open_page(url, viewport=DESKTOP) -> (page, problems); contexts close after the test."""
    contexts = []

    def open_(url: str, viewport: dict = DESKTOP, **context_options):
        context = browser.new_context(viewport=viewport, **context_options)
        contexts.append(context)
        page = context.new_page()
        problems = PageProblems(page)
        page.goto(url)
        return page, problems

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def yelb_env(postgres, redis_server, database_name) -> dict[str, str]:
    """Appserver settings: a fresh PostgreSQL database, the shared Redis, and this UI."""
    return {**postgres.env(database_name), **redis_server.env(), "YELB_UI_DIR": str(PUBLIC_DIR)}


def page_url(base: str) -> str:
    return f"{base}/?refresh={REFRESH_SECONDS}"
