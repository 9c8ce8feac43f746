"""Demo 4, rolling update under load (04-rolling-update.md): roll the appservers to a new revision, zero errors.

"A new version" is the same code with a new YELB_GIT_REVISION, which the page
footer shows; it takes the path a new image takes: every replica is replaced,
one after the other, while an audience votes.
"""

import json
import shlex
import subprocess
import sys
import time

from demos.common import ROOT, DemoFailed, api, arguments, check, main, pause, roll_appservers, say, step, \
    votes, wait_for

AUDIENCE_SUMMARY = "yelb-loadgen-json: "  # the line loadgen/locustfile.py prints at the end


def revisions(url: str) -> set[str]:
    return {api(url, "version")["revision"] for _ in range(20)}


def run(stack, args):
    step(1, "Note the version every replica runs", "the page footer: 'appserver <version> (<revision>)'")
    wait_for("the appservers report their revision", lambda: revisions(stack.url))

    step(2, f"Start the audience: {args.users} simulated people voting and watching for {args.run_time} s",
         "the results move by themselves")
    audience = [sys.executable, "-m", "locust", "-f", "loadgen/locustfile.py", "--headless", "--only-summary",
                "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time", f"{args.run_time}s",
                "--stop-timeout", "5", "--think-time", "0.1-0.5", "--host", stack.url, "--loglevel", "WARNING"]
    say(f"    $ {shlex.join(audience)}")
    locust = subprocess.Popen(audience, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for("the audience is voting", lambda: sum(votes(stack.url).values()), timeout=20)
        started = time.monotonic()

        step(3, f"Roll the appservers to revision {args.revision}, one replica at a time",
             "the host strip keeps moving; no error message appears")
        roll_appservers(stack, {"YELB_GIT_REVISION": args.revision})
        say(f"    rolled in {time.monotonic() - started:.1f} s")

        step(4, "Wait for the audience to finish and count its errors", "zero failed requests")
        output, _ = locust.communicate(timeout=args.run_time + 30)
    finally:
        locust.kill()
    if time.monotonic() - started > args.run_time:
        say("    note: the roll took longer than the audience ran; raise --run-time")
    summary = next((json.loads(line.removeprefix(AUDIENCE_SUMMARY)) for line in output.splitlines()
                    if line.startswith(AUDIENCE_SUMMARY)), None)
    if summary is None:
        raise DemoFailed(f"the audience printed no summary:\n{output[-2000:]}")
    say(f"    {summary['requests']} requests at {summary['requests_per_s']} req/s, "
        f"{summary['votes_ok']} votes, p95 {summary['p95_ms']} ms")
    check(summary["failures"] == 0 and locust.returncode == 0,
          f"{summary['failures']} failed requests during the rolling update")

    step(5, "Show the new version", "after a reload, the footer shows the new revision")
    wait_for(f"every replica reports revision {args.revision}", lambda: revisions(stack.url),
             lambda seen: seen == {args.revision})
    pause()


def demo_arguments():
    parser = arguments(__doc__.splitlines()[0], timeout=240)
    parser.add_argument("--revision", default=time.strftime("demo-%H%M%S"),
                        help="the new YELB_GIT_REVISION (default demo-<time>)")
    parser.add_argument("--users", type=int, default=12, help="simulated people (default 12)")
    parser.add_argument("--run-time", type=int, default=30,
                        help="seconds the audience runs; must cover the roll (default 30)")
    return parser


if __name__ == "__main__":
    raise SystemExit(main(run, demo_arguments().parse_args(), env={"YELB_GIT_REVISION": "before-demo"}))
