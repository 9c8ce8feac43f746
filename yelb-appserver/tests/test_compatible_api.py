"""The original Yelb API, route by route, as its UI and scripts use it."""

import socket

ORIGINAL_OPTIONS = ["outback", "bucadibeppo", "ihop", "chipotle"]
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization,Accepts,Content-Type,X-CSRF-Token,X-Requested-With",
    "Access-Control-Allow-Methods": "GET,POST,PUT,DELETE,OPTIONS",
}


def test_getvotes_lists_the_four_restaurants_in_order_at_zero(client):
    response = client.get("/api/getvotes")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_json() == [{"name": name, "value": 0} for name in ORIGINAL_OPTIONS]


def test_voting_by_get_returns_the_new_count_as_a_bare_integer(client):
    for expected in (1, 2, 3):
        response = client.get("/api/ihop")
        assert response.status_code == 200
        assert response.get_data(as_text=True) == str(expected)
    assert client.counts() == {"outback": 0, "bucadibeppo": 0, "ihop": 3, "chipotle": 0}


def test_every_original_vote_route_counts_its_own_restaurant(client):
    for name in ORIGINAL_OPTIONS:
        assert client.get(f"/api/{name}").get_json() == 1
    assert client.counts() == dict.fromkeys(ORIGINAL_OPTIONS, 1)


def test_getstats_reports_the_host_and_counts_a_page_view(client):
    assert client.get("/api/getstats").get_json() == {"hostname": socket.gethostname(), "pageviews": 1}
    assert client.get("/api/getstats").get_json()["pageviews"] == 2


def test_pageviews_increments_and_returns_a_bare_integer(client):
    first = client.get("/api/pageviews")
    second = client.get("/api/pageviews")
    assert first.headers["Content-Type"] == "application/json"
    assert int(second.get_data(as_text=True)) == int(first.get_data(as_text=True)) + 1


def test_hostname_is_the_bare_host_name(client):
    response = client.get("/api/hostname")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == socket.gethostname()


def test_every_api_response_carries_the_cors_headers(client):
    for path in ("/api/getvotes", "/api/getstats", "/api/pageviews", "/api/hostname",
                 "/api/outback", "/api/options", "/api/no-such-option"):
        response = client.get(path)
        for header, value in CORS.items():
            assert response.headers.get(header) == value, (path, header)


def test_preflight_is_answered_without_an_error(client):
    response = client.options("/api/ihop", headers={
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert client.counts()["ihop"] == 0


def test_stats_reads_page_views_without_counting(client):
    counted = client.get("/api/getstats").get_json()["pageviews"]
    for _ in range(3):
        assert client.get("/api/stats").get_json() == {"hostname": socket.gethostname(), "pageviews": counted}
    assert client.get("/api/getstats").get_json()["pageviews"] == counted + 1
