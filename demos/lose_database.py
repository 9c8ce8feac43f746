"""Demo 3, lose the database (03-lose-the-database.md): votes fail with a clear message and come back on their own."""

from demos.common import arguments, check, main, pause, readiness, say, step, vote, wait_for


def run(stack, args):
    step(1, f"Vote for {args.option}", "the results bar of that option grows by one")
    before = wait_for("the vote is counted", lambda: vote(stack.url, args.option),
                      lambda answer: answer.status_code == 200).json()["value"]
    pause()

    step(2, "Stop PostgreSQL (yelb-db)", "a vote shows a red message at the top: 'Trouble talking to the "
         "appserver: ... (HTTP 503: postgresql is unavailable ...)'; the status line turns red")
    say("    stopping yelb-db (its data stays on disk)")
    stack.postgres.stop()
    counted_meanwhile = []  # votes answered 200 while the database was still going down

    def vote_and_count():
        answer = vote(stack.url, args.option)
        if answer.status_code == 200:
            counted_meanwhile.append(answer)
        return answer

    wait_for("a vote fails with a 503 naming postgresql (the page's alert)", vote_and_count,
             lambda answer: answer.status_code == 503 and answer.json()["dependency"] == "postgresql")
    wait_for("the status line is red (unavailable)", lambda: readiness(stack.url),
             lambda status: status == "unavailable")
    pause(2)

    step(3, "Start PostgreSQL again", "without touching the appservers, the next vote works and the message "
         "goes away; the votes cast before the outage are all still there")
    say("    starting yelb-db again on the same port")
    stack.postgres.start()
    after = wait_for("votes work again", lambda: vote(stack.url, args.option),
                     lambda answer: answer.status_code == 200, timeout=90).json()["value"]
    check(after == before + len(counted_meanwhile) + 1,
          f"{args.option} went from {before} to {after}: no vote lost, none counted twice")
    wait_for("the status line is green again", lambda: readiness(stack.url), lambda status: status == "ready")
    pause()


def demo_arguments():
    parser = arguments(__doc__)
    parser.add_argument("--option", default="chipotle", help="option to vote for (default chipotle)")
    return parser


if __name__ == "__main__":
    raise SystemExit(main(run, demo_arguments().parse_args()))
