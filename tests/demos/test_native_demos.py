"""Every demo that runs natively, end to end against the whole stack on this machine."""

import re

import pytest
import requests
from playwright.sync_api import expect

from demos import fault_injection, live_room, lose_cache, lose_database, rolling_update, scale_out
from yelb_appserver.options import parse_options

pytestmark = pytest.mark.stack

# A row of the table scripts/faults/yelb-faults prints: replica, answers, non-200, median ms.
FAULT_ROW = re.compile(r"^\s+(appserver-\d)\s+(\d+)\s+(\d+)\s+(\d+)$", re.MULTILINE)


def hostnames_through_front(url: str, samples: int = 60) -> set[str]:
    with requests.Session() as session:
        return {session.get(f"{url}/api/hostname", timeout=5).text for _ in range(samples)}


def test_scale_out_ends_with_three_replicas_answering(run_demo):
    stack, transcript = run_demo(scale_out)
    assert "ok: every refresh is answered by the same appserver" in transcript
    assert hostnames_through_front(stack.url) == {"appserver-1", "appserver-2", "appserver-3"}


def test_lose_cache_keeps_the_vote_cast_while_redis_was_down(run_demo):
    stack, transcript = run_demo(lose_cache, "--option", "ihop")
    assert "ok: page views are unavailable" in transcript
    assert "ok: the status line is amber (degraded)" in transcript
    assert stack.vote_counts()["ihop"] == 1
    assert isinstance(requests.get(f"{stack.url}/api/getstats", timeout=5).json()["pageviews"], int)
    assert requests.get(f"{stack.url}/api/readyz", timeout=5).json()["status"] == "ready"


def test_lose_database_loses_no_vote(run_demo):
    stack, transcript = run_demo(lose_database, "--option", "chipotle")
    assert '"dependency":"postgresql"' in transcript  # the 503 the page shows, as printed
    # One vote before the outage, one after it: both in PostgreSQL, none during it.
    assert stack.vote_counts()["chipotle"] == 2


@pytest.mark.browser
def test_rolling_update_moves_every_replica_and_the_footer_to_the_new_revision(run_demo, browser_page):
    stack, transcript = run_demo(rolling_update, "--revision", "rehearsed-2", "--run-time", "20",
                                 env={"YELB_GIT_REVISION": "rehearsed-1"})
    assert "ok: 0 failed requests during the rolling update" in transcript
    for url in stack.replica_urls:
        assert requests.get(f"{url}/version", timeout=5).json()["revision"] == "rehearsed-2"
    # Every vote the audience was answered 200 for is in PostgreSQL, and no other.
    answered = int(re.search(r"req/s, (\d+) votes, p95", transcript).group(1))
    assert answered > 0
    assert stack.total_votes() == answered
    browser_page.goto(f"{stack.url}/")
    expect(browser_page.locator("#appserver-version")).to_have_text(re.compile(r"\(rehearsed-2\)$"))


def test_fault_injection_drives_the_fault_script_and_leaves_no_fault_behind(run_demo):
    stack, transcript = run_demo(fault_injection, "--latency-ms", "250", env={"YELB_FAULT_INJECTION": "true"})
    # The faults went through the one client there is, which printed what each replica did.
    assert "$ YELB_FAULT_TOKEN=" in transcript and "scripts/faults/yelb-faults" in transcript
    slow_table, unready_table = transcript.split("unready-replica: ")
    medians = {host: int(median) for host, _, _, median in FAULT_ROW.findall(slow_table)}
    assert medians["appserver-3"] >= 250 and max(medians["appserver-1"], medians["appserver-2"]) < 150, medians
    failed = {host: int(non_200) for host, _, non_200, _ in FAULT_ROW.findall(unready_table)}
    assert failed["appserver-3"] > 0 and failed["appserver-1"] == failed["appserver-2"] == 0, failed
    assert 'ok: appserver-3/metrics: yelb_fault_injection_active{fault="latency_ms"} 1' in transcript
    for url in stack.replica_urls:
        faults = requests.get(f"{url}/api/faults", timeout=5,
                              headers={"Authorization": f"Bearer {stack.fault_token}"}).json()["faults"]
        assert not any(faults.values()), faults
        assert requests.get(f"{url}/readyz", timeout=5).status_code == 200


@pytest.mark.browser
def test_live_room_shows_the_speakers_question_and_a_qr_code(run_demo, browser_page):
    question = "tabs=Tabs|The one true indent,spaces=Spaces|Four of them"
    stack, _ = run_demo(live_room, "--options", question)
    wanted = parse_options(question)
    options = requests.get(f"{stack.url}/api/options", timeout=5).json()
    assert options == [{"name": o.name, "label": o.label, "tagline": o.tagline} for o in wanted]
    assert stack.vote_counts()["tabs"] == 1

    browser_page.goto(f"{stack.url}/")
    expect(browser_page.locator(".card__title")).to_have_text([option.label for option in wanted])
    expect(browser_page.locator("#qr svg")).to_have_attribute("aria-label", f"QR code for {stack.url}/")
    enlarge = browser_page.get_by_role("button", name="Enlarge QR code")
    enlarge.click()
    expect(enlarge).to_have_attribute("aria-pressed", "true")
