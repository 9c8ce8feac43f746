"""A fair vote at the appserver: HEAD never votes, GET voting can be turned off, and the
optional one-vote-per-browser mode for rooms."""


def test_head_never_votes(client):
    for path in ("/api/ihop", "/api/nosuchplace"):
        answer = client.head(path)
        assert answer.status_code == 405 and answer.headers["Allow"] == "GET"
    assert client.get("/api/ihop").get_json() == 1  # GET still votes, as in the original
    assert client.counts()["ihop"] == 1


def test_get_voting_can_be_turned_off(make_app):
    client = make_app(YELB_VOTE_BY_GET="false").test_client()
    for method in ("GET", "HEAD"):
        assert client.open("/api/ihop", method=method).status_code == 405
    refused = client.get("/api/ihop").get_json()
    assert refused["status"] == 405 and "YELB_VOTE_BY_GET" in refused["error"]
    # The reads of the original stay, and POST votes.
    assert client.get("/api/getvotes").status_code == 200
    assert client.get("/api/hostname").status_code == 200
    assert client.post("/api/votes/ihop").get_json() == {"name": "ihop", "value": 1}
    assert client.counts()["ihop"] == 1


def test_one_vote_per_browser_per_option_set(make_app):
    app = make_app(YELB_ONE_VOTE_PER_BROWSER="true")
    browser = app.test_client()
    assert browser.post("/api/votes/ihop").status_code == 200
    cookie = browser.get_cookie("yelb_voted", path="/api/")
    assert cookie.path == "/api/" and cookie.http_only
    for second in (browser.post("/api/votes/outback"), browser.get("/api/chipotle")):
        assert second.status_code == 409
        assert second.get_json()["error"] == "this browser has already voted on these options"
    # Another browser (no cookie) votes; the first browser's retry of the same tap is not a new vote.
    assert app.test_client().post("/api/votes/ihop").get_json()["value"] == 2
    assert browser.counts() == {"outback": 0, "bucadibeppo": 0, "ihop": 2, "chipotle": 0}

    # New options (the speaker's next question): the same browser votes again, once.
    asked_again = make_app(YELB_ONE_VOTE_PER_BROWSER="true", YELB_OPTIONS="tabs,spaces").test_client()
    asked_again.set_cookie(cookie.key, cookie.value, path=cookie.path)
    assert asked_again.post("/api/votes/tabs").status_code == 200
    assert asked_again.post("/api/votes/spaces").status_code == 409


def test_one_vote_per_browser_is_off_by_default(client):
    assert [client.post("/api/votes/ihop").status_code for _ in range(3)] == [200] * 3
    assert client.get_cookie("yelb_voted", path="/api/") is None
