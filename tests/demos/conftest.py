"""Run a demo's steps in this process against a native stack the test can inspect afterwards.

The demo raises DemoFailed when something the room should see does not happen;
each test then checks the outcome again, in its own way, on the stack that is
still up (PostgreSQL's counts, each replica's own endpoints).
"""

from __future__ import annotations

import pytest

from demos.common import demo_stack


@pytest.fixture
def run_demo(capsys):
    """run_demo(module, *argv, env={...}) -> (stack, transcript) with the stack still up."""
    started = []

    def start(module, *argv: str, env: dict[str, str] | None = None):
        args = module.demo_arguments().parse_args(["--pause", "0", *argv])
        stack = demo_stack(env=env)
        started.append(stack)
        stack.start()
        try:
            module.run(stack, args)
        finally:
            transcript = capsys.readouterr().out
            print(transcript)  # shown when the test fails
        return stack, transcript

    yield start
    for stack in started:
        stack.stop()


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
