"""What the demo scripts share: narration, the page's view of Yelb, and the native stack.

A demo prints each numbered step and what the room should see, runs it, and
checks through the nginx front, asking exactly what the page asks, that the room
saw it. `main` starts the whole stack on this machine (stack/), runs the demo
under a time limit and stops everything afterwards.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import requests

from stack import Stack, port_open
from yelb_appserver.replica import parse_version

ROOT = Path(__file__).resolve().parents[1]
REPLICAS = 3
# The release of the replica that answered, on every answer; the page colours its strip by it.
RELEASE_HEADER = "X-Yelb-Version"
# Seconds between steps for the room to look; main() sets it from --pause, a test leaves it at 0.
pause_seconds = 0.0


class DemoFailed(RuntimeError):
    """Something the room should have seen did not happen."""


def say(text: str = "") -> None:
    print(text, flush=True)


def step(number: int, doing: str, audience_sees: str) -> None:
    say(f"\n==> [{number}] {doing}")
    say(f"    the audience sees: {audience_sees}")


def pause(times: float = 1) -> None:
    if pause_seconds * times > 0:
        say(f"    (pausing {pause_seconds * times:g} s)")
        time.sleep(pause_seconds * times)


def check(condition: bool, message: str) -> None:
    if not condition:
        raise DemoFailed(message)
    say(f"    ok: {message}")


def wait_for(what: str, observe, accept=bool, timeout: float = 30):
    """Ask observe() until accept(its answer) holds; return that answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = observe()
            if accept(value):
                say(f"    ok: {what} ({str(getattr(value, 'text', value)).strip()[:160]})")
                return value
        except (requests.RequestException, ValueError, KeyError) as error:  # not answering yet
            value = f"{type(error).__name__}: {error}"
        if time.monotonic() > deadline:
            raise DemoFailed(f"{what}: not seen within {timeout:g} s (last: {value})")
        time.sleep(0.2)


def sh(command: list[str], env: dict[str, str] | None = None, timeout: float = 180,
       dry_run: bool = False) -> None:
    """Print a command as it would be typed, run it from the clone's root, show its last lines."""
    shown = " ".join(f"{key}={shlex.quote(value)}" for key, value in (env or {}).items())
    say(f"    $ {shown + ' ' if shown else ''}{shlex.join(command)}")
    if dry_run:
        return
    try:
        result = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})},
                                capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise DemoFailed(f"{command[0]}: {error}") from None
    output = (result.stdout + result.stderr).strip()
    if result.returncode:
        raise DemoFailed(f"{shlex.join(command)} exited with {result.returncode}:\n{output[-1500:]}")
    for line in output.splitlines()[-12:]:
        say(f"      {line}")


# The page's view: each request is one the page itself sends through the front.

def api(url: str, path: str):
    return requests.get(f"{url}/api/{path}", timeout=5).json()


def vote(url: str, option: str) -> requests.Response:
    """A press on a Vote button."""
    return requests.post(f"{url}/api/votes/{option}", timeout=5)


def votes(url: str) -> dict[str, int]:
    return {entry["name"]: entry["value"] for entry in api(url, "getvotes")}


def readiness(url: str) -> str:
    """The status line: ready (green), degraded (amber) or unavailable (red)."""
    return api(url, "readyz")["status"]


def answers(url: str, samples: int = 30) -> list[tuple[str, str]]:
    """(hostname, release) of the appserver that answered each of `samples` page refreshes,
    on one connection like the page's: the host strip's chips, coloured by release."""
    with requests.Session() as session:
        replies = [session.get(f"{url}/api/stats", timeout=5) for _ in range(samples)]
    return [(reply.json()["hostname"], reply.headers[RELEASE_HEADER]) for reply in replies]


def hostnames(url: str, samples: int = 30) -> set[str]:
    """Which appservers answered `samples` page refreshes."""
    return {hostname for hostname, _ in answers(url, samples)}


def release_shares(url: str, samples: int = 30) -> dict[str, int]:
    """Whole-percent share of `samples` page refreshes per release, as the page's release tally
    shows it, most frequent first."""
    counts = Counter(release for _, release in answers(url, samples))
    return {release: round(100 * count / samples) for release, count in counts.most_common()}


def show_shares(shares: dict[str, int]) -> str:
    return ", ".join(f"{release} {percent}%" for release, percent in shares.items())


def replace_appserver(stack: Stack, index: int) -> None:
    """One replica of a rollout: SIGTERM, a new process with the stack's settings as they are now,
    and a wait until the front routes to it."""
    say(f"    replacing {stack.hostname(index)}: SIGTERM, start with the new settings, "
        "wait until the front routes to it")
    stack.restart_replica(index)


def roll_appservers(stack: Stack, settings: dict[str, str]) -> None:
    """Give every appserver new settings one replica at a time, each back in the front's
    rotation before the next goes: a rolling update."""
    stack.extra_env.update(settings)
    for index in range(len(stack.replicas)):
        replace_appserver(stack, index)


# The command line and the native stack.

def release(value: str) -> str:
    """A --version-like option: refused before anything starts, as the appserver would refuse it."""
    try:
        version = parse_version(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"YELB_VERSION {error}") from None
    if not version:
        raise argparse.ArgumentTypeError("must not be empty")
    return version


def arguments(description: str, timeout: int = 120) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pause", type=float, default=4.0,
                        help="seconds to let the room look between steps (default 4; 0 rushes through)")
    parser.add_argument("--hold", type=float, default=0.0,
                        help="keep the stack up this many seconds after the last step (default 0)")
    parser.add_argument("--timeout", type=int, default=timeout,
                        help=f"stop the demo after this many seconds (default {timeout})")
    parser.add_argument("--port", type=int, default=8080,
                        help="port of the nginx front (default 8080; 0 picks a free one)")
    return parser


def demo_stack(port: int = 0, env: dict[str, str] | None = None) -> Stack:
    """The stack every demo runs on (not started yet): three appservers, and outages that answer
    after 1 s instead of 2, so the room sees the effect sooner."""
    return Stack(REPLICAS, env={"YELB_DEPENDENCY_TIMEOUT": "1", **(env or {})}, front_port=port or None)


def main(run, args: argparse.Namespace, env: dict[str, str] | None = None) -> int:
    """Start the native stack, run `run(stack, args)` within --timeout, stop everything."""
    global pause_seconds
    pause_seconds = args.pause
    stack = demo_stack(args.port, env)
    if port_open(stack.front_port):  # another process there would answer in the front's place
        stack.stop()  # nothing runs yet; this removes its folders
        say(f"!! demo failed: port {stack.front_port} is in use (another Yelb stack, `make stack-up`?): "
            "stop it, or pass --port")
        return 1

    def overran(*_):
        raise DemoFailed(f"the demo did not finish within {args.timeout} s (--timeout)")

    try:
        say(f"starting PostgreSQL, Redis, {REPLICAS} appservers and the nginx front on this machine…")
        with stack:
            try:
                say(stack.describe())
                signal.signal(signal.SIGALRM, overran)
                signal.alarm(args.timeout)  # the steps only: starting the stack has bounded waits of its own
                say(f"open {stack.url}/ in the browser now (on the projector: this machine's network "
                    "address, same port)")
                pause(3)
                started = time.monotonic()
                run(stack, args)
                signal.alarm(0)
                say(f"\n==> done in {time.monotonic() - started:.1f} s")
                if args.hold > 0:
                    say(f"\n    holding the stack for {args.hold:g} s (Ctrl-C stops it)")
                    time.sleep(args.hold)
            finally:
                signal.alarm(0)
                say("stopping the native stack")
    except DemoFailed as failure:
        say(f"\n!! demo failed: {failure}")
        return 1
    except KeyboardInterrupt:
        say("\n!! interrupted")
        return 130
    return 0
