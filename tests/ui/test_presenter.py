"""The presenter view in a real Chromium at a projector's 1280x720: readable from the
back of the room (type sizes, nothing cut off or scrolled), the QR code decodes to the
room's public URL, and results and the per-replica share update by themselves.

Through the nginx front (its Content-Security-Policy enforced) before three appserver
replicas, and served by the appserver alone as `make run` does."""

from __future__ import annotations

import io
import time

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from stack.nginx import PUBLIC_DIR, NginxFront
from yelb_appserver.config import MAX_QUESTION_LENGTH

pytestmark = pytest.mark.browser

expect.set_options(timeout=10000)

PROJECTOR = {"width": 1280, "height": 720}
HOSTS = ("appserver-1", "appserver-2", "appserver-3")
# A canary: the last replica runs the next release, in its own colour.
RELEASES = {"appserver-1": "1.0.0", "appserver-2": "1.0.0", "appserver-3": "1.1.0"}
QUESTION = "Which orchestrator runs your next demo?"
PUBLIC_URL = "https://yelb.example.org/room-4"
# The longest question YELB_QUESTION allows.
LONGEST_QUESTION = ("Which of these ways to run containers in production would your team pick for "
                    "next quarter, and what would it drop first?")
# Smallest type anywhere on the view, and for what the room reads first (CSS pixels at 1280x720).
MIN_TEXT_PX = 20
MIN_QUESTION_PX = 40
MIN_RESULT_PX = 32

# Every visible piece of text: its element, font size, and whether it is cut off or off screen.
TEXT_LAYOUT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.textContent.trim()) continue;
    const element = node.parentElement;
    if (element.closest("[hidden], .visually-hidden")) continue;
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    out.push({
      text: node.textContent.trim().slice(0, 40),
      id: element.id || element.className,
      size: parseFloat(getComputedStyle(element).fontSize),
      clipped: element.scrollWidth > element.clientWidth + 1 || element.scrollHeight > element.clientHeight + 1,
      outside: box.left < 0 || box.top < 0 || box.right > innerWidth + 0.5 || box.bottom > innerHeight + 0.5,
    });
  }
  return out;
}"""


def assert_readable_from_the_back(page) -> None:
    scroll = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert scroll == [PROJECTOR["width"], PROJECTOR["height"]], "the view scrolls"
    texts = page.evaluate(TEXT_LAYOUT)
    assert texts
    cut_off = [text for text in texts if text["clipped"] or text["outside"]]
    assert not cut_off, f"cut off or off screen: {cut_off}"
    assert min(text["size"] for text in texts) >= MIN_TEXT_PX, texts
    assert page.locator("#question").evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= MIN_QUESTION_PX
    for selector in (".tally__label", ".tally__count"):
        sizes = page.locator(f"#results {selector}").evaluate_all(
            "all => all.map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert sizes and min(sizes) >= MIN_RESULT_PX, (selector, sizes)


def decoded_qr(page, seconds: float = 10) -> list[str]:
    """The codes read from a screenshot of #qr. Read again until one is found (for `seconds`
    at most): on a loaded machine the results can arrive and move the code between Playwright
    finding its box and taking the picture, which then shows the wrong part of the page."""
    deadline = time.monotonic() + seconds
    while True:
        image = Image.open(io.BytesIO(page.locator("#qr").screenshot()))
        codes = [code.text for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
        if codes or time.monotonic() > deadline:
            return codes
        time.sleep(0.2)


def vote(base: str, option: str, times: int) -> None:
    for _ in range(times):
        requests.post(f"{base}/api/votes/{option}", timeout=5).raise_for_status()


@pytest.fixture
def front(appserver_factory, yelb_env, tmp_path):
    env = {**yelb_env, "YELB_QUESTION": QUESTION, "YELB_PUBLIC_URL": PUBLIC_URL,
           "YELB_OPTIONS": "kubernetes=Kubernetes,nomad=Nomad,swarm=Docker Swarm,compose=Compose"}
    replicas = [appserver_factory({**env, "YELB_VERSION": RELEASES[host]}, hostname=host, workers=1)
                for host in HOSTS]
    front = NginxFront([replica.url for replica in replicas], base_dir=tmp_path / "front").start()
    yield front
    front.destroy()


def test_presenter_view_on_a_projector_through_the_front(front, open_page, artifacts_dir):
    for option, votes in (("kubernetes", 9), ("nomad", 4), ("swarm", 2), ("compose", 6)):
        vote(front.url, option, votes)
    page, problems = open_page(f"{front.url}/presenter.html?refresh=1", viewport=PROJECTOR)

    expect(page.locator("#question")).to_have_text(QUESTION)
    expect(page.locator("#total")).to_have_text("21")
    expect(page.locator('#results [data-option="swarm"] .tally__label')).to_have_text("Docker Swarm")
    expect(page.locator('#results [data-option="kubernetes"] .tally__percent')).to_have_text("43%")
    expect(page.locator("#audience-url")).to_have_text("yelb.example.org/room-4")
    # Round-robin over three replicas: all three show in the share within a few refreshes.
    expect(page.locator("#replica-share .replica-share__part")).to_have_count(3)
    shown = page.locator("#replica-share .replica-share__part").evaluate_all("all => all.map(e => e.dataset.host)")
    assert sorted(shown) == list(HOSTS)
    # Coloured by release: the two replicas of 1.0.0 alike, the canary apart.
    colours = dict(page.locator("#replica-share .replica-share__part").evaluate_all(
        "all => all.map(e => [e.dataset.host, getComputedStyle(e).backgroundColor])"))
    assert colours["appserver-1"] == colours["appserver-2"] != colours["appserver-3"]

    page.screenshot(path=artifacts_dir / "presenter.png")
    assert decoded_qr(page) == [PUBLIC_URL]
    assert_readable_from_the_back(page)

    # The room votes: the view follows by itself.
    vote(front.url, "nomad", 7)
    expect(page.locator("#total")).to_have_text("28")
    expect(page.locator('#results [data-option="nomad"] .tally__count')).to_have_text("11")
    expect(page.locator('#results [data-option="nomad"]')).to_have_class("tally__row tally__row--leader")
    assert problems.errors == []  # includes any Content-Security-Policy violation


def test_presenter_view_served_by_the_appserver_alone(appserver_factory, tmp_path, open_page):
    """As under `make run`: no public URL, so the QR code is the main page next to this one."""
    assert len(LONGEST_QUESTION) == MAX_QUESTION_LENGTH
    app = appserver_factory({"YELB_UI_DIR": str(PUBLIC_DIR), "YELB_QUESTION": LONGEST_QUESTION,
                             "YELB_SQLITE_PATH": str(tmp_path / "yelb.sqlite3")}, workers=1)
    page, problems = open_page(f"{app.url}/presenter.html?refresh=1", viewport=PROJECTOR)

    expect(page.locator("#question")).to_have_text(LONGEST_QUESTION)
    expect(page.locator("#results .tally__row")).to_have_count(4)
    expect(page.locator("#replica-share .replica-share__part")).to_have_count(1)
    assert decoded_qr(page) == [f"{app.url}/"]
    assert_readable_from_the_back(page)
    vote(app.url, "ihop", 2)
    expect(page.locator("#total")).to_have_text("2")
    assert problems.errors == []



def test_the_main_page_shows_the_question_and_the_public_url(appserver_factory, tmp_path, open_page):
    app = appserver_factory({"YELB_UI_DIR": str(PUBLIC_DIR), "YELB_QUESTION": QUESTION,
                             "YELB_PUBLIC_URL": PUBLIC_URL,
                             "YELB_SQLITE_PATH": str(tmp_path / "yelb.sqlite3")}, workers=1)
    page, problems = open_page(f"{app.url}/")
    expect(page.locator("#question")).to_have_text(QUESTION)
    expect(page.get_by_role("img", name=f"QR code for {PUBLIC_URL}")).to_be_visible()
    expect(page.locator("#page-link")).to_have_text(PUBLIC_URL)
    assert decoded_qr(page) == [PUBLIC_URL]
    # The speaker finds the presenter view from the page.
    page.get_by_role("link", name="presenter view").click()
    expect(page.locator("#question")).to_have_text(QUESTION)
    assert page.url == f"{app.url}/presenter.html"
    assert problems.errors == []
