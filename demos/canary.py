"""Demo 8, canary (08-canary.md): one replica in N on the new release, then promote it or roll it back.

All replicas run release 1.0.0; one is restarted on 1.1.0 and takes about one
answer in N, which the room sees as one chip in N in the new colour. The
speaker then promotes the canary (rolls the others to 1.1.0, the default) or
rolls it back (restarts it on 1.0.0), or keeps it running for the room.
"""

from demos.common import DemoFailed, answers, arguments, check, main, pause, release, release_shares, \
    replace_appserver, say, show_shares, step, vote, wait_for

DECISIONS = ("promote", "roll-back", "keep")


def answer_releases(url: str, samples: int) -> dict[str, set[str]]:
    """Which releases each replica answered in, over `samples` page refreshes."""
    seen: dict[str, set[str]] = {}
    for hostname, release in answers(url, samples):
        seen.setdefault(hostname, set()).add(release)
    return seen


def run(stack, args):
    if args.stable == args.canary:
        raise DemoFailed(f"--canary must differ from --stable ({args.stable})")
    replicas = len(stack.replicas)
    canary = replicas - 1
    samples = 10 * replicas

    def shares_become(what: str, expected: set[str]) -> None:
        shares = wait_for(what, lambda: release_shares(stack.url, samples), lambda seen: set(seen) == expected)
        say(f"    the release tally: {show_shares(shares)}")

    step(1, f"Every replica runs release {args.stable}",
         f"the host strip in one colour; the release tally reads '{args.stable} 100%'")
    shares_become(f"all {replicas} replicas answer in {args.stable}", {args.stable})
    pause()

    step(2, f"Start the canary: {stack.hostname(canary)} restarted on release {args.canary}",
         f"about one chip in {replicas} in the new colour, on the page and the presenter view")
    say(f"    YELB_VERSION={args.canary} for {stack.hostname(canary)} only (the colour is derived from it)")
    stack.extra_env["YELB_VERSION"] = args.canary
    replace_appserver(stack, canary)
    stack.extra_env["YELB_VERSION"] = args.stable  # the other replicas stay where they are
    shares_become("both releases answer the room", {args.stable, args.canary})
    expected = {stack.hostname(index): {args.stable} for index in range(replicas)}
    expected[stack.hostname(canary)] = {args.canary}
    wait_for(f"only {stack.hostname(canary)} answers in {args.canary}",
             lambda: answer_releases(stack.url, samples), lambda seen: seen == expected)
    pause()

    step(3, "The room votes through both releases", "every vote counts, whichever release took it")
    replies = [vote(stack.url, args.option) for _ in range(replicas)]
    check([reply.status_code for reply in replies] == [200] * replicas,
          f"{replicas} votes answered 200")
    took = sorted({reply.headers["X-Yelb-Version"] for reply in replies})
    say(f"    releases that took them: {', '.join(took)}")
    pause()

    if args.decision == "promote":
        step(4, f"Promote the canary: roll the other replicas to {args.canary}, one at a time",
             f"the new colour spreads until the tally reads '{args.canary} 100%'")
        stack.extra_env["YELB_VERSION"] = args.canary
        for index in range(replicas - 1):
            replace_appserver(stack, index)
            last = index == replicas - 2
            shares_become(f"{index + 2} of {replicas} replicas on {args.canary}",
                          {args.canary} if last else {args.stable, args.canary})
    elif args.decision == "roll-back":
        step(4, f"Roll the canary back: {stack.hostname(canary)} restarted on {args.stable}",
             f"the new colour leaves the strip; the tally reads '{args.stable} 100%' again")
        replace_appserver(stack, canary)
        shares_become(f"all {replicas} replicas answer in {args.stable} again", {args.stable})
    else:
        step(4, "Keep the canary running", f"one chip in {replicas} in the new colour, until the stack stops")
    pause()


def demo_arguments():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--stable", type=release, default="1.0.0",
                        help="the release every replica starts on, as YELB_VERSION (default 1.0.0)")
    parser.add_argument("--canary", type=release, default="1.1.0", help="the canary's release (default 1.1.0)")
    parser.add_argument("--decision", choices=DECISIONS, default="promote",
                        help="after the canary: promote it (default), roll it back, or keep it running "
                             "(with --hold, to let the room watch the mixed colours)")
    parser.add_argument("--option", default="chipotle", help="the option the room votes for in step 3")
    return parser


if __name__ == "__main__":
    given = demo_arguments().parse_args()
    raise SystemExit(main(run, given, env={"YELB_VERSION": given.stable}))
