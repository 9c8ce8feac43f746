"""Demo 4, rolling update under load (04-rolling-update.md): roll the appservers from release 1.0.0 to 1.1.0.

"A new release" is the same code with a new YELB_VERSION, which each answer
carries (X-Yelb-Version) and the page colours its host strip by; it takes the
path a new image takes: every replica is replaced, one after the other, while
an audience votes, and not one request fails.
"""

import json
import shlex
import subprocess
import sys
import time

from demos.common import ROOT, DemoFailed, api, arguments, check, main, pause, release, release_shares, \
    replace_appserver, say, show_shares, step, votes, wait_for

AUDIENCE_SUMMARY = "yelb-loadgen-json: "  # the line loadgen/locustfile.py prints at the end


def releases(url: str) -> set[str]:
    """The releases the page footer reads from /api/version, over 20 loads."""
    return {api(url, "version")["version"] for _ in range(20)}


def run(stack, args):
    if args.from_version == args.to_version:
        raise DemoFailed(f"--to-version must differ from --from-version ({args.from_version})")
    step(1, f"Note the release every replica runs: {args.from_version}",
         f"the host strip in one colour; the release tally reads '{args.from_version} 100%'")
    wait_for(f"every answer comes from release {args.from_version}", lambda: release_shares(stack.url),
             lambda shares: shares == {args.from_version: 100})

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

        step(3, f"Roll the appservers to release {args.to_version}, one replica at a time",
             "the host strip changes colour, one replica in three at a time; no error message appears")
        say(f"    YELB_VERSION={args.to_version} (the colour is derived from it)")
        stack.extra_env["YELB_VERSION"] = args.to_version
        replicas = len(stack.replicas)
        for index in range(replicas):
            replace_appserver(stack, index)
            # The audience shares the round robin, so the share is about, not exactly, k in N.
            expected = {args.to_version} if index == replicas - 1 else {args.from_version, args.to_version}
            shares = wait_for(f"{index + 1} of {replicas} replaced: the room sees {' and '.join(sorted(expected))}",
                              lambda: release_shares(stack.url), lambda seen: set(seen) == expected)
            say(f"    the release tally: {show_shares(shares)}")
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
    if summary["failures"]:  # show what failed: the audience's error report, else its last lines
        report = output.partition("Error report")[2]
        for line in (report.splitlines()[:12] if report else output.splitlines()[-12:]):
            say(f"      {line.rstrip()}")
    check(summary["failures"] == 0 and locust.returncode == 0,
          f"{summary['failures']} failed requests during the rolling update")

    step(5, f"Show release {args.to_version} everywhere",
         f"the strip in the new colour only, '{args.to_version} 100%'; after a reload, the footer's new release")
    shares = wait_for(f"every answer comes from release {args.to_version}", lambda: release_shares(stack.url),
                      lambda seen: seen == {args.to_version: 100})
    say(f"    the release tally: {show_shares(shares)}")
    wait_for(f"every replica reports release {args.to_version} to the footer", lambda: releases(stack.url),
             lambda seen: seen == {args.to_version})
    pause()


def demo_arguments():
    parser = arguments(__doc__.splitlines()[0], timeout=240)
    parser.add_argument("--from-version", type=release, default="1.0.0",
                        help="the release the replicas start on, as YELB_VERSION (default 1.0.0)")
    parser.add_argument("--to-version", type=release, default="1.1.0",
                        help="the release they are rolled to (default 1.1.0)")
    parser.add_argument("--users", type=int, default=12, help="simulated people (default 12)")
    parser.add_argument("--run-time", type=int, default=30,
                        help="seconds the audience runs; must cover the roll (default 30)")
    return parser


if __name__ == "__main__":
    arguments_given = demo_arguments().parse_args()
    raise SystemExit(main(run, arguments_given, env={"YELB_VERSION": arguments_given.from_version}))
