"""A rollout the room can see: the native stack (PostgreSQL, Redis, three appservers
behind the nginx front) in a real Chromium. Replicas restarted one by one from
release 1.0.0 to 1.1.0 turn the host strip from the old colour to the new; a canary
(one replica on the new release) shows both; the where-am-I panel names the replica
that answered. The colours are the ones each appserver derives from its version."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from stack import Stack
from tests.ui.conftest import page_url
from yelb_appserver.replica import derived_color

pytestmark = [pytest.mark.browser, pytest.mark.stack]

expect.set_options(timeout=15000)

OLD, NEW = "1.0.0", "1.1.0"
REPLICAS = 3


@pytest.fixture
def stack(postgres, redis_server, tmp_path):
    with Stack(REPLICAS, base_dir=tmp_path / "stack", postgres=postgres, redis=redis_server,
               env={"YELB_VERSION": OLD, "YELB_ORCHESTRATOR": "stack"}) as stack:
        yield stack


def roll_out(stack: Stack, version: str, replicas: range) -> None:
    """Restart these replicas on `version`, one after another, each back in rotation before the next."""
    stack.extra_env["YELB_VERSION"] = version
    for index in replicas:
        stack.restart_replica(index)


def chip_colours(page) -> list[str]:
    return page.locator("#host-strip .host-chip").evaluate_all("chips => chips.map(chip => chip.dataset.colour)")


def test_colours_differ_between_the_two_releases():
    assert derived_color(OLD) != derived_color(NEW)


def test_rolling_update_turns_the_strip_from_old_to_new(stack, open_page, artifacts_dir):
    old, new = derived_color(OLD), derived_color(NEW)
    for option, votes in (("ihop", 5), ("chipotle", 3), ("outback", 2)):  # a room that has voted
        for _ in range(votes):
            requests.post(f"{stack.url}/api/votes/{option}", timeout=5).raise_for_status()
    page, problems = open_page(page_url(stack.url))
    expect(page.locator("#host-strip .host-chip").nth(5)).to_be_visible()
    assert set(chip_colours(page)) == {old}
    expect(page.locator('#release-tally .release-share')).to_have_text([f"{OLD} 100%"])

    roll_out(stack, NEW, range(REPLICAS - 1))
    # Mid-roll, two of three replicas answer in the new release: both colours in the strip.
    for index in range(REPLICAS - 1):
        expect(page.locator(f'#host-tally .host-count[data-host="{stack.hostname(index)}"]')).to_have_attribute(
            "data-version", NEW)
    page.wait_for_function("colours => { const seen = new Set([...document.querySelectorAll('#host-strip .host-chip')]"
                           ".slice(-6).map(chip => chip.dataset.colour)); return colours.every(c => seen.has(c)); }",
                           arg=[old, new], timeout=15000)
    page.screenshot(path=artifacts_dir / "rolling-update.png", full_page=True)  # docs/images/ has a copy

    roll_out(stack, NEW, range(REPLICAS - 1, REPLICAS))
    # Twenty answers after the last restart, the strip holds the new colour only.
    page.wait_for_function("colour => { const chips = [...document.querySelectorAll('#host-strip .host-chip')];"
                           " return chips.length === 20 && chips.every(chip => chip.dataset.colour === colour); }",
                           arg=new, timeout=40000)
    expect(page.locator('#release-tally .release-share')).to_have_text([f"{NEW} 100%"])
    for index in range(REPLICAS):
        expect(page.locator(f'#host-tally .host-count[data-host="{stack.hostname(index)}"]')).to_have_attribute(
            "data-version", NEW)
    assert problems.errors == []


def test_canary_shows_both_colours_and_where_each_answer_came_from(stack, open_page):
    old, new = derived_color(OLD), derived_color(NEW)
    roll_out(stack, NEW, range(1))  # one replica in three on the new release
    page, problems = open_page(page_url(stack.url))
    expect(page.locator("#host-strip .host-chip").nth(8)).to_be_visible()
    assert set(chip_colours(page)) == {old, new}
    canary = page.locator(f'#host-tally .host-count[data-host="{stack.hostname(0)}"]')
    expect(canary).to_have_attribute("data-version", NEW)
    expect(canary).to_have_attribute("data-colour", new)
    for index in range(1, REPLICAS):
        expect(page.locator(f'#host-tally .host-count[data-host="{stack.hostname(index)}"]')).to_have_attribute(
            "data-colour", old)
    # The share per release counts the strip's answers (the page's other requests share the
    # round robin, so which replica answers its stats request is not one in three exactly).
    strip, shares = page.evaluate(  # read together: both are redrawn in one go
        "() => [[...document.querySelectorAll('#host-strip .host-chip')].map(chip => chip.dataset.version),"
        " [...document.querySelectorAll('#release-tally .release-share')]"
        ".map(item => [item.dataset.version, Number(item.dataset.count)])]")
    assert dict(shares) == {version: strip.count(version) for version in (OLD, NEW)}, (shares, strip)

    # Where am I: the slot of whichever replica answered, in its own release's colour.
    facts = page.locator("#whereami")
    expect(facts.locator('[data-field="orchestrator"] dd')).to_have_text("stack")
    expect(facts.locator('[data-field="instance"] dd')).to_have_text(re.compile(r"^appserver-[1-3]$"))
    expect(facts.locator('[data-field="node"] dd')).to_have_text("unknown")
    slots = set()
    for _ in range(40):
        page.wait_for_timeout(250)
        slots.add(tuple(page.evaluate(  # read together: the panel is redrawn in one go
            "() => [document.querySelector('#whereami [data-field=instance] dd').textContent,"
            " document.querySelector('.whereami__release').dataset.version]")))
        if len(slots) == REPLICAS:
            break
    assert slots == {(stack.hostname(0), NEW), (stack.hostname(1), OLD), (stack.hostname(2), OLD)}
    assert problems.errors == []


def test_whereami_through_the_front_is_a_read_not_a_vote(stack):
    """The front limits votes per address; /api/whereami, a read, is never refused."""
    session = requests.Session()
    limited = [session.post(f"{stack.url}/api/votes/ihop", timeout=5).status_code for _ in range(200)]
    assert 429 in limited
    answers = [session.get(f"{stack.url}/api/whereami", timeout=5) for _ in range(30)]
    assert {answer.status_code for answer in answers} == {200}
    assert {answer.json()["instance"] for answer in answers} == {stack.hostname(i) for i in range(REPLICAS)}
    assert {answer.headers["X-Yelb-Version"] for answer in answers} == {OLD}
