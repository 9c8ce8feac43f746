"""Demo 1, scale out (01-scale-out.md): from one appserver to three, and the host strip fills with three names."""

from demos.common import REPLICAS, arguments, hostnames, main, pause, say, step, wait_for


def run(stack, args):
    step(1, "Start from a single appserver", "the 'Last 20 responses came from' strip shows one name only")
    for index in range(1, REPLICAS):
        say(f"    stopping {stack.hostname(index)} (SIGTERM, graceful)")
        stack.stop_replica(index)
    wait_for("every refresh is answered by the same appserver",
             lambda: hostnames(stack.url, 20), lambda seen: len(seen) == 1)
    pause()

    step(2, f"Scale the appservers out to {REPLICAS}",
         f"within a few refreshes the strip fills with {REPLICAS} names, and the tally counts each one")
    for index in range(1, REPLICAS):
        say(f"    starting {stack.hostname(index)}")
        stack.start_replica(index)
        stack.wait_in_rotation(index)
    wait_for(f"{REPLICAS} different appservers answer the page's refreshes",
             lambda: hostnames(stack.url, 10 * REPLICAS), lambda seen: len(seen) == REPLICAS, timeout=60)
    pause()


def demo_arguments():
    return arguments(__doc__)


if __name__ == "__main__":
    raise SystemExit(main(run, demo_arguments().parse_args()))
