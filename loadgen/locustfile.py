"""An audience for Yelb: people open the page, watch the results refresh and vote now and then.

Headless, bounded run that prints one summary line (requests/s, failures, p95):

    locust -f loadgen/locustfile.py --headless --users 20 --spawn-rate 10 \
        --run-time 30s --host http://127.0.0.1:8080 --only-summary

Extra options: --think-time LOW-HIGH (seconds between a user's actions, default 1-3).
"""

import json
import random

from locust import HttpUser, events, task
from locust.runners import WorkerRunner

# Display order of the original app; used only when /api/options is unreachable.
FALLBACK_OPTIONS = ("outback", "bucadibeppo", "ihop", "chipotle")
VOTE_NAME = "/api/votes/[option]"


@events.init_command_line_parser.add_listener
def add_arguments(parser):
    parser.add_argument(
        "--think-time",
        default="1-3",
        help="seconds a user waits between actions, as LOW-HIGH (default 1-3)",
    )


def parse_think_time(text):
    low, _, high = text.partition("-")
    low, high = float(low), float(high or low)
    if low < 0 or high < low:
        raise ValueError(f"--think-time must be LOW-HIGH with 0 <= LOW <= HIGH, got {text!r}")
    return low, high


class Audience(HttpUser):
    """One person in the room, with the Yelb page open."""

    def on_start(self):
        self.think_low, self.think_high = parse_think_time(self.environment.parsed_options.think_time)
        self.options = self.discover_options()
        self.open_page()

    def wait_time(self):
        return random.uniform(self.think_low, self.think_high)

    def discover_options(self):
        with self.client.get("/api/options", name="/api/options", catch_response=True) as response:
            try:
                names = [option["name"] for option in response.json()]
            except (ValueError, TypeError, KeyError):
                names = []
            if response.status_code == 200 and names:
                return names
            response.failure(f"no options in /api/options (HTTP {response.status_code})")
            return list(FALLBACK_OPTIONS)

    def open_page(self):
        # What the browser does on load: the page itself, the results and the page-view counter.
        self.client.get("/", name="/ (page)")
        self.client.get("/api/getvotes")
        self.client.get("/api/getstats")

    @task(6)
    def watch_results(self):
        self.client.get("/api/getvotes")

    @task(2)
    def vote(self):
        option = random.choice(self.options)
        with self.client.post(f"/api/votes/{option}", name=VOTE_NAME, catch_response=True) as response:
            # A vote counts as cast only when the server says so with the new count.
            try:
                body = response.json()
            except ValueError:
                body = None
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            elif not (isinstance(body, dict) and body.get("name") == option and isinstance(body.get("value"), int)):
                response.failure(f"unexpected vote body: {response.text[:200]}")

    @task(1)
    def reload_page(self):
        self.open_page()


def summarise(stats):
    """The figures people ask for after a run, as one dict (also printed as one JSON line)."""
    total = stats.total
    votes = stats.get(VOTE_NAME, "POST")
    return {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "requests_per_s": round(total.total_rps, 1),
        "p50_ms": total.get_response_time_percentile(0.50) if total.num_requests else None,
        "p95_ms": total.get_response_time_percentile(0.95) if total.num_requests else None,
        "votes_ok": votes.num_requests - votes.num_failures,
        "votes_failed": votes.num_failures,
    }


@events.quitting.add_listener
def print_summary(environment, **_kwargs):
    if isinstance(environment.runner, WorkerRunner):
        return
    summary = summarise(environment.stats)
    print(
        "yelb-loadgen: {requests} requests, {requests_per_s} req/s, {failures} failures, "
        "p95 {p95_ms} ms, {votes_ok} votes cast".format(**summary)
    )
    print("yelb-loadgen-json: " + json.dumps(summary), flush=True)
