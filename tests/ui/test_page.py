"""The page in a real Chromium, served by the real appserver itself (YELB_UI_DIR),
with real PostgreSQL and Redis behind it."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from stack.nginx import PUBLIC_DIR
from stack.services import free_port
from tests.ui.conftest import PHONE, page_url

pytestmark = pytest.mark.browser

expect.set_options(timeout=8000)

ORIGINAL_OPTIONS = [
    ("outback", "Outback"),
    ("bucadibeppo", "Buca di Beppo"),
    ("ihop", "IHOP"),
    ("chipotle", "Chipotle"),
]


@pytest.fixture
def appserver(appserver_factory, yelb_env):
    return appserver_factory(yelb_env, hostname="appserver-1")


def vote_button(page, label: str):
    return page.get_by_role("button", name=f"Vote for {label}", exact=True)


def count_cell(page, option: str):
    return page.locator(f'#results-body tr[data-option="{option}"] .count')


def test_page_shows_options_results_stats_and_status(appserver, open_page, artifacts_dir):
    page, problems = open_page(page_url(appserver.url))

    cards = page.locator("#options .card")
    expect(cards).to_have_count(4)
    expect(cards.locator(".card__title")).to_have_text([label for _, label in ORIGINAL_OPTIONS])
    for tagline in cards.locator(".card__tagline").all():
        expect(tagline).not_to_be_empty()
    expect(page.locator("#results-body tr")).to_have_count(4)
    expect(page.locator("#results-total")).to_have_text("0")
    expect(page.locator("#hostname")).to_have_text("appserver-1")
    expect(page.locator("#pageviews")).to_have_text(re.compile(r"^[\d,]+$"))
    expect(page.locator("#dependencies")).to_have_attribute("data-state", "ok")
    expect(page.locator("#dependencies")).to_contain_text("votes: postgresql up")
    version = requests.get(f"{appserver.url}/api/version", timeout=5).json()["version"]
    expect(page.locator("#appserver-version")).to_contain_text(version)
    expect(page.locator("#refresh-seconds")).to_have_text("1")
    qr = page.get_by_role("img", name=f"QR code for {appserver.url}/")
    expect(qr).to_be_visible()
    small = qr.bounding_box()["width"]
    page.get_by_role("button", name="Enlarge QR code").click()
    expect(page.get_by_role("button", name="Enlarge QR code")).to_have_attribute("aria-pressed", "true")
    assert qr.bounding_box()["width"] > 1.5 * small
    expect(page.locator("#alert")).to_be_hidden()

    page.screenshot(path=artifacts_dir / "page-desktop.png", full_page=True)
    assert problems.errors == []


def test_vote_updates_chart_total_and_database(appserver, open_page, postgres, database_name):
    page, problems = open_page(page_url(appserver.url))

    vote_button(page, "IHOP").click()
    expect(count_cell(page, "ihop")).to_have_text("1")
    vote_button(page, "IHOP").click()
    expect(count_cell(page, "ihop")).to_have_text("2")
    vote_button(page, "Chipotle").click()

    expect(page.locator("#results-total")).to_have_text("3")
    expect(count_cell(page, "chipotle")).to_have_text("1")
    expect(page.locator('#results-body tr[data-option="ihop"] .percent')).to_have_text("67%")
    expect(page.locator('#results-body tr[data-option="chipotle"] .percent')).to_have_text("33%")
    expect(page.locator("#announcer")).to_contain_text("IHOP leads with 2")
    counts = postgres.counts(database_name)
    assert (counts["ihop"], counts["chipotle"], counts["outback"]) == (2, 1, 0)
    assert problems.errors == []


def test_results_and_page_views_refresh_by_themselves(appserver, open_page):
    page, problems = open_page(page_url(appserver.url))
    expect(page.locator("#pageviews")).to_have_text(re.compile(r"^[\d,]+$"))
    first_views = int(page.locator("#pageviews").inner_text().replace(",", ""))

    # Somebody else votes and somebody else opens the page, through the API:
    # the page shows both without being touched.
    requests.post(f"{appserver.url}/api/votes/outback", timeout=5).raise_for_status()
    requests.get(f"{appserver.url}/api/getstats", timeout=5).raise_for_status()
    expect(count_cell(page, "outback")).to_have_text("1")
    expect(page.locator("#pageviews")).to_have_text(f"{first_views + 1:,}")
    expect(page.locator("#host-tally .host-count")).to_have_text([re.compile(r"^appserver-1 ×\d+$")])
    assert int(page.locator("#host-tally .host-count").get_attribute("data-count")) >= 2
    # The page's own refreshes read the page views without counting more.
    assert requests.get(f"{appserver.url}/api/stats", timeout=5).json()["pageviews"] == first_views + 1
    assert problems.errors == []


def test_keyboard_alone_can_vote(appserver, open_page):
    page, problems = open_page(page_url(appserver.url))
    expect(vote_button(page, "Outback")).to_be_visible()

    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to voting")).to_be_focused()
    page.keyboard.press("Tab")
    expect(vote_button(page, "Outback")).to_be_focused()
    page.keyboard.press("Enter")
    expect(count_cell(page, "outback")).to_have_text("1")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    expect(count_cell(page, "bucadibeppo")).to_have_text("1")
    expect(vote_button(page, "Buca di Beppo")).to_be_focused()  # focus stays where it was
    assert problems.errors == []


def test_phone_layout_is_one_column_with_thumb_sized_buttons(appserver, open_page, artifacts_dir):
    page, problems = open_page(page_url(appserver.url), viewport=PHONE, is_mobile=True,
                               has_touch=True, device_scale_factor=2)

    vote_button(page, "Chipotle").tap()
    expect(count_cell(page, "chipotle")).to_have_text("1")
    layout = page.evaluate("""() => ({
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        buttons: [...document.querySelectorAll('#options button')].map(b => b.getBoundingClientRect()),
    })""")
    assert layout["scrollWidth"] <= layout["innerWidth"], "the page scrolls sideways on a phone"
    for button in layout["buttons"]:
        assert button["height"] >= 44 and button["right"] <= layout["innerWidth"]
    lefts = {round(box["x"]) for box in layout["buttons"]}
    assert len(lefts) == 1, "cards are not stacked in one column"

    page.screenshot(path=artifacts_dir / "page-phone.png", full_page=True)
    assert problems.errors == []


def test_page_shows_a_message_while_the_appserver_is_down_and_recovers(
        appserver_factory, yelb_env, open_page):
    first = appserver_factory(yelb_env, hostname="appserver-1")
    page, _ = open_page(page_url(first.url))
    expect(page.locator("#hostname")).to_have_text("appserver-1")

    first.kill()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Trouble talking to the appserver")
    expect(alert).to_contain_text(re.compile(r"loading the results.* failed \(network error\)"))
    expect(page.locator("#dependencies")).to_have_attribute("data-state", "unknown")

    appserver_factory(yelb_env, hostname="appserver-2", port=first.port)
    expect(alert).to_be_hidden()
    expect(page.locator("#hostname")).to_have_text("appserver-2")
    expect(page.locator("#dependencies")).to_have_attribute("data-state", "ok")
    vote_button(page, "IHOP").click()
    expect(count_cell(page, "ihop")).to_have_text("1")


def test_configured_options_and_missing_redis(appserver_factory, postgres, database_name, open_page):
    # Redis configured but nothing listening: page views are unavailable, votes still work.
    env = {**postgres.env(database_name), "REDIS_SERVER_ENDPOINT": "127.0.0.1",
           "REDIS_SERVER_PORT": str(free_port()), "YELB_UI_DIR": str(PUBLIC_DIR),
           "YELB_OPTIONS": "kubernetes=Kubernetes|Pods everywhere,nomad=Nomad"}
    appserver = appserver_factory(env)
    page, problems = open_page(page_url(appserver.url))

    expect(page.locator("#options .card__title")).to_have_text(["Kubernetes", "Nomad"])
    expect(page.locator("#options .card__tagline").first).to_have_text("Pods everywhere")
    expect(page.locator("#pageviews")).to_have_text("unavailable")
    expect(page.locator("#dependencies")).to_have_attribute("data-state", "warn")
    expect(page.locator("#dependencies")).to_contain_text("page views: redis down")
    vote_button(page, "Nomad").click()
    expect(count_cell(page, "nomad")).to_have_text("1")
    expect(page.locator("#alert")).to_be_hidden()
    assert problems.errors == []



def test_status_line_names_injected_faults(appserver_factory, yelb_env, open_page):
    env = {**yelb_env, "YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": "test-fault-token-0123456789",
           "YELB_FAULTS": '{"db_latency_ms": 20}'}
    appserver = appserver_factory(env, hostname="appserver-9")
    page, problems = open_page(page_url(appserver.url))
    status = page.locator("#dependencies")
    expect(status).to_contain_text("faults on appserver-9: +20 ms per database call")
    expect(status).to_have_attribute("data-state", "warn")

    token = {"Authorization": f"Bearer {env['YELB_FAULT_TOKEN']}"}
    requests.put(f"{appserver.url}/api/faults", json={"readiness_fail": True}, headers=token, timeout=5)
    expect(status).to_contain_text("readiness fails")
    expect(status).to_have_attribute("data-state", "down")

    requests.delete(f"{appserver.url}/api/faults", headers=token, timeout=5)
    expect(status).not_to_contain_text("faults on")
    expect(status).to_have_attribute("data-state", "ok")
    # Chromium logs the 503 of /api/readyz while readiness fails; nothing else.
    assert all("status of 503" in error for error in problems.errors), problems.errors
