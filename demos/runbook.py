"""What every demo script shares: the command line, numbered steps, pauses and a time limit.

A demo is a list of steps. Each step prints what it is about to do and what the
audience should see, does it, and checks that it happened. The whole run has a
hard time limit (--timeout): a demo that hangs on stage is worse than one that
stops with a clear message.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
import traceback
from contextlib import contextmanager

from demos.targets import TARGETS, Target, TargetError, make_target


class DemoFailed(RuntimeError):
    """Something the audience should have seen did not happen."""


class Runbook:
    """Prints numbered steps and paces them for a room (or not at all, in CI)."""

    def __init__(self, title: str, pause: float, out=sys.stdout):
        self.title = title
        self.pause_seconds = pause
        self.out = out
        self.step_number = 0
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def step(self, doing: str, audience_sees: str | None = None) -> None:
        self.step_number += 1
        self.say(f"\n==> [{self.step_number}] {doing}")
        if audience_sees:
            self.say(f"    the audience sees: {audience_sees}")

    def check(self, condition: bool, message: str) -> None:
        if not condition:
            raise DemoFailed(message)
        self.say(f"    ok: {message}")

    def expect(self, target: Target, what: str, observe, accept=bool, timeout: float = 30):
        """Poll observe() until accept(value) holds and return the value; a dry run only says so."""
        if target.dry_run:
            self.say(f"    would wait until: {what}")
            return None
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = observe()
                if accept(value):
                    self.say(f"    ok: {what} ({_shown(value)})")
                    return value
            except Exception as error:  # noqa: BLE001 - any failure means "not yet"
                value = f"{type(error).__name__}: {error}"
            if time.monotonic() > deadline:
                raise DemoFailed(f"{what}: not seen within {timeout:g} s (last: {value})")
            time.sleep(0.2)

    def pause(self, times: float = 1) -> None:
        """Give the room time to look at the page: `times` x --pause seconds (none with --pause 0)."""
        seconds = self.pause_seconds * times
        if seconds > 0:
            self.say(f"    (pausing {seconds:g} s)")
            time.sleep(seconds)

    def done(self, reset: str) -> None:
        self.say(f"\n==> done in {time.monotonic() - self.started:.1f} s: {self.title}")
        self.say(f"    reset: {reset}")


def _shown(value) -> str:
    """An observation in one short line (an HTTP answer as its status and body)."""
    if hasattr(value, "status_code"):
        return f"HTTP {value.status_code} {value.text.strip()[:120]}"
    return str(value)[:200]


def parser(description: str, default_timeout: int = 120,
           default_target: str = "native") -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(description=description)
    arguments.add_argument("--target", choices=sorted(TARGETS), default=default_target,
                           help="where Yelb runs: native (this script starts the whole stack as "
                                "processes), compose (docker compose in this clone) or kubernetes "
                                f"(kubectl, namespace yelb). Default {default_target}.")
    arguments.add_argument("--dry-run", action="store_true",
                           help="print the commands a compose or kubernetes run would execute, run nothing")
    arguments.add_argument("--url", help="the UI front's address (compose default http://127.0.0.1:8080; "
                                         "kubernetes: after `kubectl -n yelb port-forward service/yelb-ui 8080:80`)")
    arguments.add_argument("--port", type=int, default=8080,
                           help="native only: port of the nginx front (default 8080; 0 picks a free one)")
    arguments.add_argument("--pause", type=float, default=4.0,
                           help="seconds to let the room look between steps (default 4; 0 in CI)")
    arguments.add_argument("--hold", type=float, default=0.0,
                           help="native only: keep the stack up this many seconds after the last step "
                                "so the page can still be shown (default 0)")
    arguments.add_argument("--timeout", type=int, default=default_timeout,
                           help=f"stop the demo after this many seconds (default {default_timeout})")
    return arguments


@contextmanager
def time_limit(seconds: int):
    """Raise DemoFailed in the main thread when the demo overruns."""

    def overrun(*_):
        raise DemoFailed(f"the demo did not finish within {seconds} s (--timeout)")

    previous = signal.signal(signal.SIGALRM, overrun)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(description: str, demo, argv: list[str] | None = None, *, default_timeout: int = 120,
        native: bool = True, native_env: dict[str, str] | None = None, configure=None) -> int:
    """Parse the command line, bring up the target, run `demo(book, target, args)`, report.

    `configure(arguments)` may add demo-specific options; `native_env` is the
    appserver environment a natively started stack needs for this demo;
    `native=False` for a demo that needs Docker images (its default target is
    then compose). The time limit covers the steps: starting the native stack
    has bounded waits of its own, and is never cut in the middle.
    """
    arguments = parser(description, default_timeout, "native" if native else "compose")
    if configure:
        configure(arguments)
    args = arguments.parse_args(argv)
    book = Runbook(description, 0 if args.dry_run else args.pause)
    try:
        target: Target = make_target(args, book.say, (native_env or {}) if native else None)
        with target, time_limit(args.timeout):
            book.say(f"Yelb at {target.url}/  (target: {target.name}"
                     f"{', dry run' if target.dry_run else ''})")
            if target.name == "native":
                book.say("open that address in the browser now (on the projector: this machine's "
                         "network address, same port)")
                book.pause(3)
            demo(book, target, args)
            if args.hold > 0 and target.name == "native":
                book.say(f"\n    holding the stack for {args.hold:g} s (Ctrl-C stops it)")
                time.sleep(args.hold)
    except (DemoFailed, TargetError) as failure:
        book.say(f"\n!! demo failed: {failure}")
        return 1
    except KeyboardInterrupt:
        book.say("\n!! interrupted")
        return 130
    except Exception as error:  # noqa: BLE001 - a bug or an unexpected answer: say it, keep the details
        traceback.print_exc()
        book.say(f"\n!! demo failed: {type(error).__name__}: {error}")
        return 1
    return 0
