"""Demo 1, scale out: from one appserver to three, and the host strip fills with three names."""

from demos import watch
from demos.runbook import run


def demo(book, target, args):
    url = target.url
    book.step("Start from a single appserver",
              "the 'Last 20 responses came from' strip shows one name only")
    target.scale_appservers(1)
    book.expect(target, "every refresh is answered by the same appserver",
                lambda: watch.hostnames(url, 20), lambda seen: len(seen) == 1)
    book.pause()

    book.step(f"Scale the appservers out to {args.replicas}",
              f"within a few refreshes the strip fills with {args.replicas} names, "
              "and the tally counts each one")
    target.scale_appservers(args.replicas)
    book.expect(target, f"{args.replicas} different appservers answer the page's refreshes",
                lambda: watch.hostnames(url, 10 * args.replicas),
                lambda seen: len(seen) == args.replicas, timeout=60)
    book.pause()
    book.done("scale back to one replica (the demo starts with that step, so running it again resets it)")


def options(arguments):
    arguments.add_argument("--replicas", type=int, default=3, help="replicas to scale out to (default 3)")


if __name__ == "__main__":
    raise SystemExit(run("Scale out: 1 to N appservers", demo, configure=options))
