"""/metrics: Prometheus text, summed correctly over several gunicorn workers, from a fresh
process. Labels and their bounds are in yelb-appserver/tests/test_metrics.py."""

from concurrent.futures import ThreadPoolExecutor

import requests
from prometheus_client.parser import text_string_to_metric_families


def scrape(url: str) -> dict[tuple, float]:
    response = requests.get(f"{url}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_every_request_across_four_workers(appserver_factory, app_env):
    server = appserver_factory(app_env, workers=4)
    url = server.url

    def work(index: int) -> bool:
        with requests.Session() as session:
            session.post(f"{url}/api/votes/ihop", timeout=10)
            session.get(f"{url}/api/chipotle", timeout=10)
            stats = session.get(f"{url}/api/getstats", timeout=10).json()
            session.get(f"{url}/api/nachos", timeout=10)
            return stats.get("pageviews_available", True)

    with ThreadPoolExecutor(16) as pool:
        counted = sum(pool.map(work, range(200)))
    samples = scrape(url)

    assert value(samples, "yelb_votes_total", option="ihop") == 200
    assert value(samples, "yelb_votes_total", option="chipotle") == 200
    # On a starved machine the Redis bulkhead may turn a page view away (answered unavailable).
    assert value(samples, "yelb_pageviews_total") == counted
    assert value(samples, "yelb_http_requests_total", method="POST",
                 route="/api/votes/<option>", status="200") == 200
    assert value(samples, "yelb_http_requests_total", method="GET",
                 route="/api/<option>", status="200") == 200
    assert value(samples, "yelb_http_requests_total", method="GET",
                 route="/api/<option>", status="404") == 200
    assert value(samples, "yelb_http_request_duration_seconds_count", method="GET",
                 route="/api/getstats") == 200
    assert value(samples, "yelb_dependency_up", dependency="postgresql") == 1
    assert value(samples, "yelb_dependency_up", dependency="redis") == 1
    assert value(samples, "yelb_dependency_latency_seconds_count",
                 dependency="postgresql", operation="vote") == 400
    assert value(samples, "yelb_dependency_latency_seconds_count",
                 dependency="redis", operation="incr") == counted
    build = [labels for (name, labels) in samples if name == "yelb_build_info"]
    assert len(build) == 1 and dict(build[0])["version"] == "1.0.0"


def test_dependency_errors_are_counted(appserver_factory, postgres, database_name, tmp_path):
    from stack.services import RedisServer

    redis = RedisServer(tmp_path / "r").start()
    server = appserver_factory({**postgres.env(database_name), **redis.env()}, workers=1)
    requests.get(f"{server.url}/api/getstats", timeout=5)
    redis.destroy()
    for _ in range(3):
        requests.get(f"{server.url}/api/getstats", timeout=5)
    samples = scrape(server.url)
    assert value(samples, "yelb_dependency_errors_total", dependency="redis") == 3
    assert value(samples, "yelb_dependency_up", dependency="redis") == 0


def series(text: str) -> set[tuple]:
    return {(sample.name, tuple(sorted(sample.labels.items())))
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_known_series_are_zero_before_the_first_request(appserver_factory, app_env):
    server = appserver_factory(app_env)
    exported = series(requests.get(f"{server.url}/metrics", timeout=5).text)
    samples = scrape(server.url)
    for dependency in ("postgresql", "redis"):
        assert ("yelb_dependency_errors_total", (("dependency", dependency),)) in exported
        assert value(samples, "yelb_dependency_errors_total", dependency=dependency) == 0
    for option in ("outback", "bucadibeppo", "ihop", "chipotle"):
        assert ("yelb_votes_total", (("option", option),)) in exported
    for method, route in (("POST", "/api/votes/<option>"), ("GET", "/api/<option>"),
                          ("GET", "/api/getstats"), ("GET", "/readyz")):
        key = ("yelb_http_request_duration_seconds_count", (("method", method), ("route", route)))
        assert key in exported and samples[key] == 0
