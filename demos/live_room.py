"""Demo 7, live results for a room (07-live-room.md): the speaker's own question, and the presenter view.

The question and options are configuration only: YELB_QUESTION, and
YELB_OPTIONS (`name=Label|Tagline` entries separated by commas). YELB_PUBLIC_URL
is the address the QR code sends phones to, so the projector can show the
presenter view (presenter.html) from any address, localhost included.
"""

import socket
import subprocess

import requests

from demos.common import DemoFailed, api, arguments, main, pause, roll_appservers, say, step, vote, votes, \
    wait_for
from yelb_appserver.config import SETTINGS
from yelb_appserver.options import parse_options

QUESTION = "Which orchestrator runs your next app?"
OPTIONS = ("kubernetes=Kubernetes|Pods and a lot of YAML,"
           "nomad=Nomad|One binary schedules it all,"
           "swarm=Docker Swarm|Built into the engine,"
           "compose=Docker Compose|One file on one host")
PARSERS = {setting.name: setting.parse for setting in SETTINGS}


def room_addresses(port: int) -> list[str]:
    """The page's address on each of this machine's network addresses (what phones can reach)."""
    try:
        found = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except (OSError, subprocess.SubprocessError):
        found = []
    return [f"http://{address}:{port}/" for address in [a for a in found if ":" not in a] or [socket.gethostname()]]


def presenter_served(url: str) -> bool:
    def page(path: str) -> str:
        return requests.get(f"{url}{path}", timeout=5).text

    return ('id="qr"' in page("/presenter.html") and "renderQr" in page("/js/qr.js")
            and "qrcode" in page("/vendor/qrcode-generator.js"))


def room_settings(args) -> dict[str, str]:
    """The appservers' settings for the room, refused here in one line as the appserver would."""
    settings = {"YELB_OPTIONS": args.options, "YELB_QUESTION": args.question, "YELB_PUBLIC_URL": args.public_url}
    for name, value in settings.items():
        try:
            (parse_options if name == "YELB_OPTIONS" else PARSERS[name])(value)
        except ValueError as error:
            raise DemoFailed(f"{name}: {error}") from None
    return settings


def run(stack, args):
    if args.public_url is None:  # this machine's first network address, where the front listens too
        args.public_url = room_addresses(stack.front_port)[0]
    settings = room_settings(args)
    wanted = parse_options(args.options)
    names = [option.name for option in wanted]

    step(1, "Show today's question and options", "'Where should we go for lunch?' and four restaurant cards")
    wait_for("the page has a question and options",
             lambda: (api(stack.url, "room")["question"], [option["label"] for option in api(stack.url, "options")]))
    pause()

    step(2, "Ask the speaker's question through configuration only: YELB_QUESTION, YELB_OPTIONS, YELB_PUBLIC_URL",
         f"after a reload, '{args.question}' and cards for {', '.join(option.label for option in wanted)}")
    for name, value in settings.items():
        say(f"    {name}={value}")
    roll_appservers(stack, settings)
    room = {"question": PARSERS["YELB_QUESTION"](args.question),
            "public_url": PARSERS["YELB_PUBLIC_URL"](args.public_url) or None}
    wait_for("every replica serves the new question, options and public URL",
             lambda: {(tuple(option["name"] for option in api(stack.url, "options")),
                       tuple(api(stack.url, "room").items())) for _ in range(6)},
             lambda answers: answers == {(tuple(names), tuple(room.items()))})
    wait_for("the results table lists the options", lambda: list(votes(stack.url)), lambda listed: listed == names)
    pause()

    step(3, "Put the presenter view on the projector",
         "the question, big live results, the QR code and the answers per replica, readable from the back")
    if args.public_url:
        say(f"    open {stack.url}/presenter.html on the projector: its QR code sends phones to {args.public_url}")
    else:  # the QR code carries the address the projector opened
        for address in room_addresses(stack.front_port):
            say(f"    open {address}presenter.html on the projector, by an address the phones can reach")
    wait_for("the presenter view and the QR code scripts are served", lambda: presenter_served(stack.url))

    step(4, f"A phone votes for {wanted[0].label}", "the bar moves for everyone within one refresh")
    wait_for("the vote counts", lambda: vote(stack.url, names[0]), lambda answer: answer.status_code == 200)
    pause()


def demo_arguments():
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--question", default=QUESTION,
                        help=f"the speaker's question as YELB_QUESTION (default: {QUESTION!r})")
    parser.add_argument("--options", default=OPTIONS,
                        help="the speaker's options as YELB_OPTIONS (default: four orchestrators)")
    parser.add_argument("--public-url", default=None,
                        help="the address phones open, as YELB_PUBLIC_URL (default: this machine's first "
                             "network address and the front's port; '' leaves the page's own address)")
    return parser


if __name__ == "__main__":
    raise SystemExit(main(run, demo_arguments().parse_args()))
