"""A fair vote at the appserver: HEAD never votes, GET voting can be turned off, and the
optional one-vote-per-browser mode for rooms."""

import pytest
import requests

from .conftest import Client


@pytest.fixture
def serve(appserver_factory, app_env):
    def start(**settings) -> Client:
        return Client(appserver_factory({**app_env, **settings}).url)

    return start


def test_head_never_votes(api):
    for path in ("/api/ihop", "/api/nosuchplace"):
        answer = api.head(path)
        assert answer.status_code == 405 and answer.headers["Allow"] == "GET"
    assert api.get("/api/ihop").json() == 1  # GET still votes, as in the original
    assert api.counts()["ihop"] == 1


def test_get_voting_can_be_turned_off(serve):
    api = serve(YELB_VOTE_BY_GET="false")
    for method in ("GET", "HEAD"):
        answer = api.request(method, "/api/ihop")
        assert answer.status_code == 405
    refused = api.get("/api/ihop").json()
    assert refused["status"] == 405 and "YELB_VOTE_BY_GET" in refused["error"]
    # The reads of the original stay, and POST votes.
    assert api.get("/api/getvotes").status_code == 200 and api.get("/api/hostname").ok
    assert api.post("/api/votes/ihop").json() == {"name": "ihop", "value": 1}
    assert api.counts()["ihop"] == 1


def test_one_vote_per_browser_per_option_set(serve, appserver_factory, app_env):
    api = serve(YELB_ONE_VOTE_PER_BROWSER="true")
    first = api.post("/api/votes/ihop")
    assert first.status_code == 200
    cookie = next(cookie for cookie in api.cookies if cookie.name == "yelb_voted")
    assert cookie.path == "/api/" and cookie.has_nonstandard_attr("HttpOnly")
    for second in (api.post("/api/votes/outback"), api.get("/api/chipotle")):
        assert second.status_code == 409
        assert second.json()["error"] == "this browser has already voted on these options"
    # Another browser (no cookie) votes; the first browser's retry of the same tap is not a new vote.
    assert requests.post(f"{api.base_url}/api/votes/ihop", timeout=5).json()["value"] == 2
    assert api.counts() == {"outback": 0, "bucadibeppo": 0, "ihop": 2, "chipotle": 0}

    # New options (the speaker's next question): the same browser votes again, once.
    asked_again = appserver_factory({**app_env, "YELB_ONE_VOTE_PER_BROWSER": "true",
                                     "YELB_OPTIONS": "tabs,spaces"}).url
    again = requests.Session()
    again.cookies.update(api.cookies)
    assert again.post(f"{asked_again}/api/votes/tabs", timeout=5).status_code == 200
    assert again.post(f"{asked_again}/api/votes/spaces", timeout=5).status_code == 409


def test_one_vote_per_browser_is_off_by_default(api):
    assert [api.post("/api/votes/ihop").status_code for _ in range(3)] == [200] * 3
    assert "yelb_voted" not in api.cookies
