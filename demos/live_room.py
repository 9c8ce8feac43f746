"""Demo 7, live results for a room: the speaker's own question, and a QR code on the projector.

The options are configuration only (YELB_OPTIONS, `name=Label|Tagline` entries
separated by commas); the page draws a QR code of the address it was opened
at, so open it on the projector by an address the audience's phones can reach.
"""

import socket
import subprocess

from yelb_appserver.options import DEFAULT_OPTIONS, parse_options

from demos import watch
from demos.runbook import DemoFailed, run

QUESTION = ("kubernetes=Kubernetes|Pods and a lot of YAML,"
            "nomad=Nomad|One binary schedules it all,"
            "swarm=Docker Swarm|Built into the engine,"
            "compose=Docker Compose|One file on one host")


def room_addresses(url: str) -> list[str]:
    """The page's address on each of this machine's network addresses (what phones can reach)."""
    port = url.rsplit(":", 1)[1]
    try:
        found = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        found = []
    found = [address for address in found if ":" not in address] or [socket.gethostname()]
    return [f"http://{address}:{port}/" for address in found]


def qr_served(url: str) -> bool:
    return ('id="qr"' in watch.page(url, "/") and "renderQr" in watch.page(url, "/js/qr.js")
            and "qrcode" in watch.page(url, "/vendor/qrcode-generator.js"))


def demo(book, target, args):
    url = target.url
    try:
        wanted = parse_options(args.options)
    except ValueError as error:
        raise DemoFailed(f"--options: {error}") from None
    wanted_names = [option.name for option in wanted]

    if args.reset:
        book.step("Back to the default options (the four restaurants)", "after a reload, the lunch question")
        target.configure_appservers({"YELB_OPTIONS": ""}, rolling=target.name != "compose")
        default = [option.name for option in DEFAULT_OPTIONS]
        book.expect(target, "the default options are back", lambda: [o["name"] for o in watch.options(url)],
                    lambda names: names == default, timeout=60)
        book.done("done")
        return

    book.step("Show today's options", "four restaurant cards")
    book.expect(target, "the page has options", lambda: [o["label"] for o in watch.options(url)], bool)
    book.pause()

    book.step("Change the question through configuration only: YELB_OPTIONS",
              f"after a reload, cards for {', '.join(option.label for option in wanted)}")
    book.say(f"    YELB_OPTIONS={args.options}")
    target.configure_appservers({"YELB_OPTIONS": args.options}, rolling=target.name != "compose")
    book.expect(target, "every replica serves the new options, in order",
                lambda: {tuple(o["name"] for o in watch.options(url)) for _ in range(6)},
                lambda answers: answers == {tuple(wanted_names)}, timeout=60)
    book.expect(target, "the results table lists them", lambda: watch.votes(url),
                lambda votes: list(votes) == wanted_names)
    book.pause()

    book.step("Put the QR code on the projector",
              "the 'Vote from your phone' panel; 'Enlarge QR code' makes it fill the screen")
    for address in room_addresses(url):
        book.say(f"    open {address} on the projector: the QR code carries the address the page was opened at")
    book.expect(target, "the page, its QR code panel and the QR code scripts are served",
                lambda: qr_served(url))
    book.expect(target, f"a phone's vote for {wanted[0].label} counts",
                lambda: watch.vote(url, wanted_names[0]), lambda response: response.status_code == 200)
    book.pause()
    book.done("run again with --reset (or restart natively: the stack is gone when the script ends)")


def options(arguments):
    arguments.add_argument("--options", default=QUESTION,
                           help="the speaker's options as YELB_OPTIONS (default: four orchestrators)")
    arguments.add_argument("--reset", action="store_true", help="only put the default options back")


if __name__ == "__main__":
    raise SystemExit(run("Live results for a room: your question and a QR code", demo, configure=options))
