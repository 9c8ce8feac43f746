"""Bad requests get a clear JSON error with the right status and change nothing."""

import pytest

ALL_ZERO = {"outback": 0, "bucadibeppo": 0, "ihop": 0, "chipotle": 0}


def assert_json_error(response, status: int, mentions: str = ""):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    body = response.get_json()
    assert body["status"] == status
    assert mentions.lower() in body["error"].lower()


@pytest.mark.parametrize("path", [
    "/api/pizzahut", "/api/votes/pizzahut", "/api/IHOP", "/api/" + "x" * 300,
    "/api/ihop';DROP TABLE restaurants;--", "/api/%27%20OR%201%3D1", "/api/%FF%FE",
])
def test_unknown_options_are_404_and_count_nothing(client, path):
    method = client.post if path.startswith("/api/votes/") else client.get
    assert_json_error(method(path), 404, "unknown option")
    assert client.counts() == ALL_ZERO


def test_unknown_option_message_lists_the_known_ones(client):
    assert "outback, bucadibeppo, ihop, chipotle" in client.get("/api/nachos").get_json()["error"]


@pytest.mark.parametrize("method, path", [
    ("DELETE", "/api/ihop"), ("PUT", "/api/getvotes"), ("GET", "/api/votes/ihop"),
    ("POST", "/api/getstats"), ("POST", "/healthz"), ("PATCH", "/api/votes/ihop"),
])
def test_wrong_methods_are_405_with_allow(client, method, path):
    response = client.open(path, method=method)
    assert_json_error(response, 405)
    assert response.headers["Allow"]
    assert client.counts() == ALL_ZERO


def test_oversized_body_is_413_and_counts_nothing(client):
    assert_json_error(client.post("/api/votes/ihop", data=b"x" * 100_000), 413)
    assert client.counts() == ALL_ZERO


def test_unknown_paths_are_json_404(client):
    assert_json_error(client.get("/nothing/here"), 404)
    assert_json_error(client.get("/api/votes/ihop/extra"), 404)


def test_a_database_that_is_down_is_a_json_503_with_retry_after(make_app):
    # Nothing listens on port 1.
    client = make_app(YELB_DB_SERVER_ENDPOINT="127.0.0.1", YELB_DB_PORT="1",
                      YELB_DEPENDENCY_TIMEOUT="0.5").test_client()
    for response in (client.post("/api/votes/ihop"), client.get("/api/getvotes")):
        assert_json_error(response, 503, "postgresql is unavailable")
        assert response.get_json()["dependency"] == "postgresql"
        assert response.headers["Retry-After"] == "2"
        assert "127.0.0.1" not in response.get_data(as_text=True)  # the address stays in the log
