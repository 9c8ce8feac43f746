"""The newer voting routes, configurable options, and votes kept in the embedded store's file."""

import sqlite3


def test_options_list_names_labels_and_taglines(client):
    options = client.get("/api/options").get_json()
    assert [option["name"] for option in options] == ["outback", "bucadibeppo", "ihop", "chipotle"]
    assert options[2]["label"] == "IHOP"
    assert all(option["tagline"] for option in options)


def test_post_vote_returns_name_and_new_count(client):
    response = client.post("/api/votes/outback")
    assert response.status_code == 200
    assert response.get_json() == {"name": "outback", "value": 1}
    assert client.post("/api/votes/outback").get_json()["value"] == 2
    assert client.counts()["outback"] == 2


def test_options_are_configurable(make_app):
    client = make_app(YELB_OPTIONS="kubernetes=Kubernetes|The usual,nomad=Nomad,swarm").test_client()
    assert client.get("/api/options").get_json() == [
        {"name": "kubernetes", "label": "Kubernetes", "tagline": "The usual"},
        {"name": "nomad", "label": "Nomad", "tagline": ""},
        {"name": "swarm", "label": "swarm", "tagline": ""},
    ]
    assert client.post("/api/votes/nomad").get_json() == {"name": "nomad", "value": 1}
    assert client.get("/api/ihop").status_code == 404
    assert client.get("/api/getvotes").get_json() == [
        {"name": "kubernetes", "value": 0}, {"name": "nomad", "value": 1}, {"name": "swarm", "value": 0}]


def test_adding_an_option_keeps_existing_counts(make_app):
    first = make_app(YELB_OPTIONS="alpha,beta").test_client()
    for _ in range(3):
        first.post("/api/votes/beta")
    second = make_app(YELB_OPTIONS="alpha,beta,gamma").test_client()
    assert second.get("/api/getvotes").get_json() == [
        {"name": "alpha", "value": 0}, {"name": "beta", "value": 3}, {"name": "gamma", "value": 0}]


def test_embedded_store_keeps_votes_and_page_views_across_restarts(make_app, tmp_path):
    first = make_app().test_client()
    ready = first.get("/readyz").get_json()
    assert ready["status"] == "ready"
    assert ready["backend"] == "sqlite"
    assert ready["checks"]["pageviews"]["dependency"] == "sqlite"
    assert first.get("/api/ihop").get_json() == 1
    assert first.get("/api/getstats").get_json()["pageviews"] == 1

    restarted = make_app().test_client()
    assert restarted.get("/api/ihop").get_json() == 2
    assert restarted.get("/api/pageviews").get_json() == 2
    with sqlite3.connect(tmp_path / "yelb.sqlite3") as conn:
        assert dict(conn.execute("SELECT name, count FROM restaurants")) == {
            "outback": 0, "bucadibeppo": 0, "ihop": 2, "chipotle": 0}
