"""Run a demo script's steps in this process against a native stack the test can inspect.

The demo raises DemoFailed when something the room should see does not happen;
each test then checks the outcome again, in its own way, on the stack that is
still up (PostgreSQL's counts, each replica's own endpoints).
"""

from __future__ import annotations

import io

import pytest

from demos.runbook import Runbook, parser
from demos.targets import NativeTarget


class Transcript(io.StringIO):
    """What the demo printed; also echoed, so a failing test shows the steps."""

    def write(self, text: str) -> int:
        print(text, end="")
        return super().write(text)


@pytest.fixture
def run_demo():
    """run_demo(module, *argv, env={...}) -> (target, transcript) with the native stack still up."""
    started: list[NativeTarget] = []

    def start(module, *argv: str, env: dict[str, str] | None = None):
        arguments = parser(module.__doc__.splitlines()[0])
        if hasattr(module, "options"):
            module.options(arguments)
        args = arguments.parse_args(["--port", "0", "--pause", "0", *argv])
        transcript = Transcript()
        book = Runbook(module.__name__, pause=0, out=transcript)
        target = NativeTarget(book.say, port=0, env=env)
        started.append(target)
        target.__enter__()
        module.demo(book, target, args)
        return target, transcript.getvalue()

    yield start
    for target in started:
        target.__exit__(None, None, None)


@pytest.fixture
def browser_page():
    """A Chromium page (Playwright), closed after the test."""
    from playwright.sync_api import sync_playwright

    from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()
