"""Demo 7, live results for a room (07-live-room.md): the speaker's own question, and a QR code on the projector.

The options are configuration only (YELB_OPTIONS, `name=Label|Tagline` entries
separated by commas); the page draws a QR code of the address it was opened
at, so open it on the projector by an address the audience's phones can reach.
"""

import socket
import subprocess

import requests

from demos.common import DemoFailed, api, arguments, main, pause, roll_appservers, say, step, vote, votes, \
    wait_for
from yelb_appserver.options import parse_options

QUESTION = ("kubernetes=Kubernetes|Pods and a lot of YAML,"
            "nomad=Nomad|One binary schedules it all,"
            "swarm=Docker Swarm|Built into the engine,"
            "compose=Docker Compose|One file on one host")


def room_addresses(port: int) -> list[str]:
    """The page's address on each of this machine's network addresses (what phones can reach)."""
    try:
        found = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        found = []
    return [f"http://{address}:{port}/" for address in [a for a in found if ":" not in a] or [socket.gethostname()]]


def qr_served(url: str) -> bool:
    def page(path: str) -> str:
        return requests.get(f"{url}{path}", timeout=5).text

    return ('id="qr"' in page("/") and "renderQr" in page("/js/qr.js")
            and "qrcode" in page("/vendor/qrcode-generator.js"))


def run(stack, args):
    try:
        wanted = parse_options(args.options)
    except ValueError as error:
        raise DemoFailed(f"--options: {error}") from None
    names = [option.name for option in wanted]

    step(1, "Show today's options", "four restaurant cards")
    wait_for("the page has options", lambda: [option["label"] for option in api(stack.url, "options")])
    pause()

    step(2, "Change the question through configuration only: YELB_OPTIONS",
         f"after a reload, cards for {', '.join(option.label for option in wanted)}")
    say(f"    YELB_OPTIONS={args.options}")
    roll_appservers(stack, {"YELB_OPTIONS": args.options})
    wait_for("every replica serves the new options, in order",
             lambda: {tuple(option["name"] for option in api(stack.url, "options")) for _ in range(6)},
             lambda answers: answers == {tuple(names)})
    wait_for("the results table lists them", lambda: list(votes(stack.url)), lambda listed: listed == names)
    pause()

    step(3, "Put the QR code on the projector",
         "the 'Vote from your phone' panel; 'Enlarge QR code' makes it fill the screen")
    for address in room_addresses(stack.front_port):
        say(f"    open {address} on the projector: the QR code carries the address the page was opened at")
    wait_for("the page, its QR code panel and the QR code scripts are served", lambda: qr_served(stack.url))

    step(4, f"A phone votes for {wanted[0].label}", "the bar moves for everyone within one refresh")
    wait_for("the vote counts", lambda: vote(stack.url, names[0]), lambda answer: answer.status_code == 200)
    pause()


def demo_arguments():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--options", default=QUESTION,
                        help="the speaker's options as YELB_OPTIONS (default: four orchestrators)")
    return parser


if __name__ == "__main__":
    raise SystemExit(main(run, demo_arguments().parse_args()))
