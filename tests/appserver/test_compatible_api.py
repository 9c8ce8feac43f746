"""The original Yelb API, route by route, as its UI and scripts use it."""

import socket

ORIGINAL_OPTIONS = ["outback", "bucadibeppo", "ihop", "chipotle"]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization,Accepts,Content-Type,X-CSRF-Token,X-Requested-With",
    "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
}


def test_getvotes_lists_the_four_restaurants_in_order_at_zero(api):
    response = api.get("/api/getvotes")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == [{"name": name, "value": 0} for name in ORIGINAL_OPTIONS]


def test_voting_by_get_returns_the_new_count_as_a_bare_integer(api):
    for expected in (1, 2, 3):
        response = api.get("/api/ihop")
        assert response.status_code == 200
        assert response.text == str(expected)
    assert api.counts() == {"outback": 0, "bucadibeppo": 0, "ihop": 3, "chipotle": 0}


def test_every_original_vote_route_counts_its_own_restaurant(api):
    for name in ORIGINAL_OPTIONS:
        assert api.get(f"/api/{name}").json() == 1
    assert api.counts() == dict.fromkeys(ORIGINAL_OPTIONS, 1)


def test_votes_land_in_the_original_table(api, postgres, database_name):
    api.get("/api/chipotle")
    assert postgres.counts(database_name) == {"outback": 0, "bucadibeppo": 0, "ihop": 0,
                                              "chipotle": 1}
    with postgres.connect(database_name) as conn:
        column_types = dict(conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'restaurants'").fetchall())
    assert column_types == {"name": "character", "count": "integer"}


def test_getstats_reports_the_host_and_counts_a_page_view(api, appserver, redis_server):
    before = int(redis_server.client().get("pageviews") or 0)
    stats = api.get("/api/getstats").json()
    assert stats == {"hostname": socket.gethostname(), "pageviews": before + 1}
    assert int(redis_server.client().get("pageviews")) == before + 1


def test_pageviews_increments_and_returns_a_bare_integer(api):
    first = api.get("/api/pageviews")
    second = api.get("/api/pageviews")
    assert first.headers["Content-Type"] == "application/json"
    assert int(second.text) == int(first.text) + 1


def test_hostname_is_the_bare_host_name(api):
    response = api.get("/api/hostname")
    assert response.status_code == 200
    assert response.text == socket.gethostname()


def test_hostname_follows_the_uts_namespace(appserver_factory, app_env):
    server = appserver_factory(app_env, hostname="appserver-7")
    assert server.hostname == "appserver-7"
    import requests

    assert requests.get(f"{server.url}/api/hostname", timeout=5).text == "appserver-7"
    assert requests.get(f"{server.url}/api/getstats", timeout=5).json()["hostname"] == "appserver-7"


def test_every_api_response_carries_the_cors_headers(api):
    for path in ("/api/getvotes", "/api/getstats", "/api/pageviews", "/api/hostname",
                 "/api/outback", "/api/options", "/api/no-such-option"):
        response = api.get(path)
        for header, value in CORS.items():
            assert response.headers.get(header) == value, (path, header)


def test_preflight_is_answered_without_an_error(api):
    response = api.options("/api/ihop", headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert api.counts()["ihop"] == 0


def test_stats_reads_page_views_without_counting(api):
    counted = api.get("/api/getstats").json()["pageviews"]
    for _ in range(3):
        assert api.get("/api/stats").json() == {"hostname": socket.gethostname(), "pageviews": counted}
    assert api.get("/api/getstats").json()["pageviews"] == counted + 1
