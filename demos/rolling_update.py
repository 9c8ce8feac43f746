"""Demo 4, rolling update under load: roll the appservers to a new revision, with zero errors.

The version the page shows is /api/version's "version" and "revision"; the
revision comes from YELB_GIT_REVISION. So here "a new version" is the same
image (or code) with a new YELB_GIT_REVISION, rolled one replica at a time;
a real upgrade changes the image the same way (`kubectl set image`).
"""

import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

from demos import watch
from demos.runbook import DemoFailed, run

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = "loadgen/locustfile.py"  # relative to ROOT, where the audience runs
SUMMARY = "yelb-loadgen-json: "


def audience_command(url: str, users: int, seconds: int) -> list[str]:
    """The project's Locust audience, headless and bounded, quick on its feet."""
    return [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--headless", "--only-summary",
            "--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s",
            "--stop-timeout", "5", "--think-time", "0.1-0.5", "--host", url, "--loglevel", "WARNING"]


def summary_of(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith(SUMMARY):
            return json.loads(line.removeprefix(SUMMARY))
    raise DemoFailed(f"the load generator printed no summary:\n{output[-2000:]}")


def revisions(url: str, samples: int) -> set[str]:
    return {watch.version(url)["revision"] for _ in range(samples)}


def demo(book, target, args):
    url = target.url
    book.step("Note the version every replica runs", "the page footer: 'appserver <version> (<revision>)'")
    book.expect(target, "the appservers report their revision", lambda: revisions(url, 10), bool)

    book.step(f"Start the audience: {args.users} simulated people voting and watching for {args.run_time} s",
              "the results move by themselves")
    command = audience_command(url, args.users, args.run_time)
    book.say(f"    $ {shlex.join(command)}")
    audience = None
    if not target.dry_run:
        audience = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True)
        book.expect(target, "the audience is voting", lambda: sum(watch.votes(url).values()),
                    lambda total: total > 0, timeout=20)
    started = time.monotonic()

    book.step(f"Roll the appservers to revision {args.revision}, one replica at a time",
              "the host strip keeps moving; no error message appears")
    target.configure_appservers({"YELB_GIT_REVISION": args.revision})
    book.say(f"    rolled in {time.monotonic() - started:.1f} s")

    book.step("Wait for the audience to finish and count its errors", "zero failed requests")
    if audience is not None:
        try:
            output, _ = audience.communicate(timeout=args.run_time + 30)
        finally:
            audience.kill()
        if time.monotonic() - started > args.run_time:
            book.say("    note: the roll took longer than the audience ran; raise --run-time")
        summary = summary_of(output)
        book.say(f"    {summary['requests']} requests at {summary['requests_per_s']} req/s, "
                 f"{summary['votes_ok']} votes, p95 {summary['p95_ms']} ms")
        book.check(summary["failures"] == 0 and audience.returncode == 0,
                   f"{summary['failures']} failed requests during the rolling update")

    book.step("Show the new version", "after a reload, the footer shows the new revision")
    book.expect(target, f"every replica reports revision {args.revision}", lambda: revisions(url, 20),
                lambda seen: seen == {args.revision}, timeout=30)
    book.pause()
    book.done("nothing to undo; run it again with another --revision")


def options(arguments):
    arguments.add_argument("--revision", default=time.strftime("demo-%H%M%S"),
                           help="the new YELB_GIT_REVISION (default demo-<time>)")
    arguments.add_argument("--users", type=int, default=12, help="simulated people (default 12)")
    arguments.add_argument("--run-time", type=int, default=30,
                           help="seconds the audience runs; must cover the roll (default 30)")


if __name__ == "__main__":
    raise SystemExit(run("Rolling update under load", demo, configure=options, default_timeout=240,
                         native_env={"YELB_GIT_REVISION": "before-demo"}))
