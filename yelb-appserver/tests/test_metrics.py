"""/metrics: Prometheus text, with route templates as labels and a bound on what clients can grow.

The counters live in the test process, so each test compares before and after.
"""

from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families


def test_requests_votes_and_page_views_are_counted(client):
    before = client.metrics()
    client.post("/api/votes/ihop")
    client.get("/api/chipotle")
    client.get("/api/getstats")
    client.get("/api/nachos")
    after = client.metrics()

    def added(name, **labels) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert added("yelb_votes_total", option="ihop") == 1
    assert added("yelb_votes_total", option="chipotle") == 1
    assert added("yelb_pageviews_total") == 1
    assert added("yelb_http_requests_total", method="POST", route="/api/votes/<option>", status="200") == 1
    assert added("yelb_http_requests_total", method="GET", route="/api/<option>", status="200") == 1
    assert added("yelb_http_requests_total", method="GET", route="/api/<option>", status="404") == 1
    assert added("yelb_http_request_duration_seconds_count", method="GET", route="/api/getstats") == 1
    assert added("yelb_dependency_latency_seconds_count", dependency="sqlite", operation="vote") == 2
    assert added("yelb_dependency_latency_seconds_count", dependency="sqlite", operation="incr") == 1
    assert after[("yelb_dependency_up", (("dependency", "sqlite"),))] == 1
    build = [labels for (name, labels) in after if name == "yelb_build_info"]
    assert len(build) == 1 and dict(build[0])["version"] == "1.0.0"


def test_unmatched_paths_share_one_route_label(client):
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    before = client.metric("yelb_http_requests_total", **unmatched)
    for index in range(5):
        client.get(f"/random/{index}")
    samples = client.metrics()
    assert samples[("yelb_http_requests_total", tuple(sorted(unmatched.items())))] == before + 5
    assert not any("random" in str(labels) for (_, labels) in samples)


def series(text: str) -> set[tuple]:
    return {(sample.name, tuple(sorted(sample.labels.items())))
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_invented_methods_do_not_grow_the_metrics(app):
    """3,000 requests with made-up methods, on real and unknown routes, add no series."""
    paths = ["/api/getvotes", "/api/votes/ihop", "/api/nachos", "/metrics", "/random/path"]

    def fuzz(numbers: range) -> None:
        client = app.test_client()
        for number in numbers:
            client.open(paths[number % len(paths)], method=f"FUZZ{number}")

    def scrape() -> str:
        return app.test_client().get("/metrics").get_data(as_text=True)

    fuzz(range(len(paths)))  # the "other" series for each answer, made once
    scrape()  # and the scrape's own series
    before = scrape()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(fuzz, [range(start, 3_000, 4) for start in range(4)]))
    after = scrape()

    print(f"/metrics after 3,000 invented methods: {len(series(before))} -> {len(series(after))} "
          f"series, {len(before):,} -> {len(after):,} bytes")
    assert series(after) == series(before)
    # Only the counts' digits grow.
    assert len(after) - len(before) < 2_000
    other = [labels for name, labels in series(after)
             if name == "yelb_http_requests_total" and ("method", "other") in labels]
    assert other and not any("FUZZ" in str(labels) for _, labels in series(after))


def test_known_series_are_exported_before_their_first_use(make_app):
    exported = series(make_app(YELB_OPTIONS="alpha,beta").test_client().get("/metrics").get_data(as_text=True))
    assert ("yelb_dependency_errors_total", (("dependency", "sqlite"),)) in exported
    for option in ("alpha", "beta"):
        assert ("yelb_votes_total", (("option", option),)) in exported
    for method, route in (("POST", "/api/votes/<option>"), ("GET", "/api/<option>"),
                          ("GET", "/api/getstats"), ("GET", "/readyz")):
        assert ("yelb_http_request_duration_seconds_count", (("method", method), ("route", route))) in exported
