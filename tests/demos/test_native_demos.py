"""Every demo that runs natively, end to end against the whole stack on this machine."""

import re

import pytest
import requests
from playwright.sync_api import expect

from demos import canary, fault_injection, live_room, lose_cache, lose_database, rolling_update, scale_out
from tests.ui.conftest import REFRESH_SECONDS
from yelb_appserver.options import parse_options
from yelb_appserver.replica import derived_color

pytestmark = pytest.mark.stack

# A row of the table scripts/faults/yelb-faults prints: replica, answers, non-200, median ms.
FAULT_ROW = re.compile(r"^\s+(appserver-\d)\s+(\d+)\s+(\d+)\s+(\d+)$", re.MULTILINE)
# The share per release a demo printed after each step: "the release tally: 1.0.0 67%, 1.1.0 33%".
RELEASE_TALLY = re.compile(r"^    the release tally: (.+)$", re.MULTILINE)
OLD, NEW = "1.0.0", "1.1.0"


def hostnames_through_front(url: str, samples: int = 60) -> set[str]:
    with requests.Session() as session:
        return {session.get(f"{url}/api/hostname", timeout=5).text for _ in range(samples)}


def release_tallies(transcript: str) -> list[dict[str, int]]:
    """Each printed tally as {release: percent}, in the order the demo printed them."""
    return [{release: int(percent.rstrip("%")) for release, percent in (entry.split(" ") for entry in line.split(", "))}
            for line in RELEASE_TALLY.findall(transcript)]


def replica_releases(stack) -> list[str]:
    return [requests.get(f"{url}/version", timeout=5).json()["version"] for url in stack.replica_urls]


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
def test_rolling_update_turns_every_replica_and_the_page_to_the_new_release(run_demo, browser_page):
    stack, transcript = run_demo(rolling_update, "--run-time", "20", env={"YELB_VERSION": OLD})
    assert "ok: every answer comes from release 1.0.0" in transcript
    assert "ok: 0 failed requests during the rolling update" in transcript
    # After each replica the room saw both releases, then the new one alone.
    tallies = release_tallies(transcript)
    assert [set(tally) for tally in tallies] == [{OLD, NEW}, {OLD, NEW}, {NEW}, {NEW}], tallies
    assert tallies[0][NEW] < tallies[1][NEW] < tallies[2][NEW] == 100, tallies
    assert replica_releases(stack) == [NEW] * len(stack.replicas)
    # Every vote the audience was answered 200 for is in PostgreSQL, and no other.
    answered = int(re.search(r"req/s, (\d+) votes, p95", transcript).group(1))
    assert answered > 0
    assert stack.total_votes() == answered
    browser_page.goto(f"{stack.url}/?refresh={REFRESH_SECONDS}")
    expect(browser_page.locator("#appserver-version")).to_have_text(re.compile(r"^1\.1\.0 \("))
    expect(browser_page.locator("#release-tally .release-share")).to_have_text([f"{NEW} 100%"])
    expect(browser_page.locator("#host-strip .host-chip").first).to_have_attribute("data-colour", derived_color(NEW))


def test_canary_takes_a_minority_of_answers_then_is_promoted(run_demo):
    stack, transcript = run_demo(canary, "--option", "ihop", env={"YELB_VERSION": OLD})
    tallies = release_tallies(transcript)
    # 100% old, then the canary's minority, then the rest rolled one by one to 100% new.
    assert [set(tally) for tally in tallies] == [{OLD}, {OLD, NEW}, {OLD, NEW}, {NEW}], tallies
    assert 0 < tallies[1][NEW] < 50 < tallies[1][OLD], tallies
    assert tallies[1][NEW] < tallies[2][NEW], tallies
    assert "ok: only appserver-3 answers in 1.1.0" in transcript
    assert replica_releases(stack) == [NEW] * len(stack.replicas)
    assert stack.vote_counts()["ihop"] == len(stack.replicas)


def test_canary_rolled_back_leaves_every_replica_on_the_stable_release(run_demo):
    stack, transcript = run_demo(canary, "--decision", "roll-back", env={"YELB_VERSION": OLD})
    tallies = release_tallies(transcript)
    assert [set(tally) for tally in tallies] == [{OLD}, {OLD, NEW}, {OLD}], tallies
    assert replica_releases(stack) == [OLD] * len(stack.replicas)


@pytest.mark.browser
def test_a_kept_canary_shows_both_colours_on_the_page_and_the_presenter_view(run_demo, browser_page):
    stack, transcript = run_demo(canary, "--decision", "keep", env={"YELB_VERSION": OLD})
    assert [set(tally) for tally in release_tallies(transcript)] == [{OLD}, {OLD, NEW}]
    both = sorted([derived_color(OLD), derived_color(NEW)])
    strip_colours = "[...document.querySelectorAll('#host-strip .host-chip')].map(chip => chip.dataset.colour)"

    browser_page.goto(f"{stack.url}/?refresh={REFRESH_SECONDS}")
    # Chips arrive one refresh at a time: wait until the strip holds answers in two colours.
    browser_page.wait_for_function(f"() => new Set({strip_colours}).size === 2", timeout=20000)
    assert browser_page.evaluate(f"() => [...new Set({strip_colours})].sort()") == both
    canary_count = browser_page.locator('#host-tally .host-count[data-host="appserver-3"]')
    expect(canary_count).to_have_attribute("data-version", NEW)

    browser_page.goto(f"{stack.url}/presenter.html?refresh={REFRESH_SECONDS}")
    parts = browser_page.locator("#replica-share .replica-share__part")
    expect(parts).to_have_count(len(stack.replicas), timeout=20000)
    expect(browser_page.locator('#replica-share [data-host="appserver-3"]')).to_have_attribute("data-version", NEW)
    for host in ("appserver-1", "appserver-2"):
        expect(browser_page.locator(f'#replica-share [data-host="{host}"]')).to_have_attribute("data-version", OLD)


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
def test_live_room_asks_the_speakers_question_on_the_presenter_view(run_demo, browser_page):
    question, public_url = "Tabs or spaces?", "http://yelb.example.test:8080/"
    options = "tabs=Tabs|The one true indent,spaces=Spaces|Four of them"
    stack, _ = run_demo(live_room, "--question", question, "--options", options, "--public-url", public_url)
    wanted = parse_options(options)
    assert requests.get(f"{stack.url}/api/options", timeout=5).json() == [
        {"name": o.name, "label": o.label, "tagline": o.tagline} for o in wanted]
    assert requests.get(f"{stack.url}/api/room", timeout=5).json() == {"question": question, "public_url": public_url}
    assert stack.vote_counts()["tabs"] == 1

    browser_page.goto(f"{stack.url}/presenter.html")
    expect(browser_page.locator("#question")).to_have_text(question)
    expect(browser_page.locator("#qr svg")).to_have_attribute("aria-label", f"QR code for {public_url}")
    expect(browser_page.locator("#results .tally__label")).to_have_text([option.label for option in wanted])
    expect(browser_page.locator('#results [data-option="tabs"] .tally__count')).to_have_text("1")

    browser_page.goto(f"{stack.url}/")
    expect(browser_page.locator("#question")).to_have_text(question)
    expect(browser_page.locator(".card__title")).to_have_text([option.label for option in wanted])
    expect(browser_page.locator("#qr svg")).to_have_attribute("aria-label", f"QR code for {public_url}")
