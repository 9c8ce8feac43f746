"""Demo 3, lose the database: votes fail with a clear message, and come back on their own."""

from demos import watch
from demos.runbook import run


def failed_clearly(response) -> bool:
    """An error that says what is wrong: the message the page shows in its alert.

    The appserver answers 503 naming postgresql. On Kubernetes, once the readiness
    probe has taken every appserver out of the Service (about 15 s), the front
    answers 502 "appserver unavailable" instead."""
    body = response.json()
    if response.status_code == 503:
        return body.get("dependency") == "postgresql" and bool(body.get("error"))
    return response.status_code == 502 and body.get("error") == "appserver unavailable"


def unavailable(status) -> bool:
    """The status line is red: the appserver says so, or (Kubernetes) none is in rotation."""
    return status in ("unavailable", 502)


def demo(book, target, args):
    url = target.url
    book.step(f"Vote for {args.option}", "the results bar of that option grows by one")
    before = book.expect(target, "the vote is counted", lambda: watch.vote(url, args.option),
                         lambda response: response.status_code == 200)
    book.pause()

    book.step("Stop PostgreSQL (yelb-db)",
              "a vote shows a red message at the top: 'Trouble talking to the appserver: "
              "... (HTTP 503: ...)'; the status line turns red ('Appserver unavailable')")
    target.stop_backend("yelb-db")
    counted_meanwhile = []  # votes answered 200 while the database was still going down

    def vote():
        response = watch.vote(url, args.option)
        if response.status_code == 200:
            counted_meanwhile.append(response)
        return response

    book.expect(target, "a vote fails with a clear message (the page's alert)",
                vote, failed_clearly, timeout=60)
    book.expect(target, "the status line is red (unavailable)", lambda: watch.readiness(url), unavailable)
    book.pause(2)

    book.step("Start PostgreSQL again",
              "without touching the appservers, the next vote works and the message goes away; "
              "the votes cast before the outage are all still there")
    target.start_backend("yelb-db")
    after = book.expect(target, "votes work again", lambda: watch.vote(url, args.option),
                        lambda response: response.status_code == 200, timeout=90)
    if before is not None:
        expected = before.json()["value"] + len(counted_meanwhile) + 1
        book.check(after.json()["value"] == expected,
                   f"{args.option} went from {before.json()['value']} to {after.json()['value']}: "
                   "no vote lost, none counted twice")
    book.expect(target, "the status line is green again", lambda: watch.readiness(url),
                lambda status: status == "ready")
    book.pause()
    book.done("nothing to do: the database is back with every vote it had")


def options(arguments):
    arguments.add_argument("--option", default="chipotle", help="option to vote for (default chipotle)")


if __name__ == "__main__":
    raise SystemExit(run("Lose the database: stop PostgreSQL and bring it back", demo, configure=options))
