"""Demo 2, lose the cache: Redis stops, votes keep working, page views show as unavailable."""

from demos import watch
from demos.runbook import run


def demo(book, target, args):
    url = target.url
    book.step("Everything is up", "page views count up, the status line is green ('Appserver ready')")
    book.expect(target, "page views are counted", lambda: watch.stats(url),
                lambda stats: isinstance(stats["pageviews"], int))
    book.expect(target, "the status line is green (ready)", lambda: watch.readiness(url),
                lambda status: status == "ready")
    book.pause()

    book.step("Stop Redis (redis-server)",
              "page views read 'unavailable', the status line turns amber "
              "('Appserver degraded · page views: down'), voting still works")
    target.stop_backend("redis-server")
    book.expect(target, "page views are unavailable", lambda: watch.stats(url),
                lambda stats: stats["pageviews"] is None and stats.get("pageviews_available") is False)
    book.expect(target, "the status line is amber (degraded)", lambda: watch.readiness(url),
                lambda status: status == "degraded")
    book.expect(target, "a vote is still counted", lambda: watch.vote(url, args.option),
                lambda response: response.status_code == 200)
    book.pause(2)

    book.step("Start Redis again",
              "within a refresh or two page views count again and the status line is green; "
              "nothing was restarted but Redis")
    target.start_backend("redis-server")
    book.expect(target, "page views are counted again", lambda: watch.stats(url),
                lambda stats: isinstance(stats["pageviews"], int), timeout=60)
    book.expect(target, "the status line is green again", lambda: watch.readiness(url),
                lambda status: status == "ready", timeout=60)
    book.pause()
    book.done("nothing to do: Redis is back. A Redis without persistence (the native one) "
              "counts page views from zero again; votes are untouched")


def options(arguments):
    arguments.add_argument("--option", default="ihop", help="option to vote for while Redis is down")


if __name__ == "__main__":
    raise SystemExit(run("Lose the cache: stop Redis and bring it back", demo, configure=options))
