"""Demo 2, lose the cache (02-lose-the-cache.md): Redis stops, votes keep working, page views read 'unavailable'."""

from demos.common import api, arguments, main, pause, readiness, say, step, vote, wait_for


def run(stack, args):
    step(1, "Everything is up", "page views count up, the status line is green ('Appserver ready')")
    wait_for("page views are counted", lambda: api(stack.url, "getstats"),
             lambda stats: isinstance(stats["pageviews"], int))
    wait_for("the status line is green (ready)", lambda: readiness(stack.url), lambda status: status == "ready")
    pause()

    step(2, "Stop Redis (redis-server)", "page views read 'unavailable', the status line turns amber "
         "('Appserver degraded · page views: redis down'), voting still works")
    say("    stopping redis-server")
    stack.redis.stop()
    wait_for("page views are unavailable", lambda: api(stack.url, "getstats"),
             lambda stats: stats["pageviews"] is None and stats["pageviews_available"] is False)
    wait_for("the status line is amber (degraded)", lambda: readiness(stack.url),
             lambda status: status == "degraded")
    wait_for(f"a vote for {args.option} is still counted", lambda: vote(stack.url, args.option),
             lambda answer: answer.status_code == 200)
    pause(2)

    step(3, "Start Redis again", "within a refresh or two page views count again and the status line is "
         "green; nothing was restarted but Redis")
    say("    starting redis-server again on the same port")
    stack.redis.start()
    wait_for("page views are counted again", lambda: api(stack.url, "getstats"),
             lambda stats: isinstance(stats["pageviews"], int), timeout=60)
    wait_for("the status line is green again", lambda: readiness(stack.url),
             lambda status: status == "ready", timeout=60)
    pause()


def demo_arguments():
    parser = arguments(__doc__)
    parser.add_argument("--option", default="ihop", help="option to vote for while Redis is down (default ihop)")
    return parser


if __name__ == "__main__":
    raise SystemExit(main(run, demo_arguments().parse_args()))
