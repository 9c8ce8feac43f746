"""The page in a real Chromium through the project's nginx front (Debian nginx,
unprivileged, its Content-Security-Policy enforced) in front of two appserver
processes, each with its own host name, sharing PostgreSQL and Redis."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from stack.nginx import NginxFront
from tests.ui.conftest import PHONE, page_url

pytestmark = pytest.mark.browser

expect.set_options(timeout=8000)

HOSTS = ("appserver-1", "appserver-2")


@pytest.fixture
def replicas(appserver_factory, yelb_env):
    return [appserver_factory(yelb_env, hostname=host) for host in HOSTS]


@pytest.fixture
def front(replicas, tmp_path):
    front = NginxFront([replica.url for replica in replicas], base_dir=tmp_path / "front").start()
    yield front
    front.destroy()


def test_page_through_nginx_votes_and_shows_both_replicas(front, open_page, artifacts_dir):
    # Earlier votes from the audience, so the chart (and the README screenshot) has a shape.
    for option, votes in (("ihop", 6), ("chipotle", 4), ("outback", 2)):
        for _ in range(votes):
            requests.post(f"{front.url}/api/votes/{option}", timeout=5).raise_for_status()
    page, problems = open_page(page_url(front.url))

    page.get_by_role("button", name="Vote for Outback", exact=True).click()
    page.get_by_role("button", name="Vote for Buca di Beppo", exact=True).click()
    expect(page.locator("#results-total")).to_have_text("14")
    expect(page.locator('#results-body tr[data-option="ihop"] .percent')).to_have_text("43%")
    expect(page.locator('#results-body tr[data-option="bucadibeppo"] .count')).to_have_text("1")
    # Round-robin: both host names show up in the tally of the last responses.
    for host in HOSTS:
        expect(page.locator(f'#host-tally .host-count[data-host="{host}"]')).to_be_visible()
    # At least six responses in the strip (it keeps growing with every refresh, up to 20).
    expect(page.locator("#host-strip .host-chip").nth(5)).to_be_visible(timeout=10000)
    assert page.locator("#host-strip .host-chip").count() <= 20
    expect(page.locator("#hostname")).to_have_text(re.compile(r"^appserver-[12]$"))

    page.screenshot(path=artifacts_dir / "nginx-desktop.png", full_page=True)
    assert problems.errors == []  # includes any Content-Security-Policy violation


def test_phone_through_nginx(front, open_page, artifacts_dir):
    page, problems = open_page(page_url(front.url), viewport=PHONE, is_mobile=True,
                               has_touch=True, device_scale_factor=2)
    page.get_by_role("button", name="Vote for Chipotle", exact=True).tap()
    expect(page.locator('#results-body tr[data-option="chipotle"] .count')).to_have_text("1")
    for host in HOSTS:
        expect(page.locator(f'#host-tally .host-count[data-host="{host}"]')).to_be_visible()
    page.screenshot(path=artifacts_dir / "nginx-phone.png", full_page=True)
    assert problems.errors == []


def test_message_while_every_replica_is_down_and_recovery(front, replicas, open_page,
                                                          appserver_factory, yelb_env,
                                                          artifacts_dir):
    page, _ = open_page(page_url(front.url))
    expect(page.locator("#dependencies")).to_have_attribute("data-state", "ok")

    for replica in replicas:
        replica.kill()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("HTTP 502: appserver unavailable")
    page.get_by_role("button", name="Vote for IHOP", exact=True).click()
    expect(alert).to_contain_text(
        re.compile(r"your vote for IHOP, loading the results, and loading the page views failed "
                   r"\(HTTP 502: appserver unavailable\)"))
    page.screenshot(path=artifacts_dir / "nginx-appserver-down.png")

    appserver_factory(yelb_env, hostname="appserver-3", port=replicas[0].port)
    expect(alert).to_be_hidden()
    expect(page.locator("#hostname")).to_have_text("appserver-3")
    page.get_by_role("button", name="Vote for IHOP", exact=True).click()
    expect(page.locator('#results-body tr[data-option="ihop"] .count')).to_have_text("1")
