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
def browser_page(browser):
    """A Chromium page in a context of its own, closed after the test."""
    context = browser.new_context()
    yield context.new_page()
    context.close()
