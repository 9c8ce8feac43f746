"""SIGTERM: stop being ready, finish in-flight requests, exit cleanly."""

import json
import signal
import threading
import time

import requests


def test_in_flight_vote_finishes_after_sigterm(appserver_factory, app_env, postgres, database_name):
    server = appserver_factory({**app_env, "YELB_FAULT_INJECTION": "true",
                                "YELB_FAULT_TOKEN": "test-fault-token-0123456789", "YELB_FAULTS": '{"latency_ms": 3000}'}, workers=1)
    answers = []
    voter = threading.Thread(target=lambda: answers.append(
        requests.post(f"{server.url}/api/votes/ihop", timeout=10)))
    voter.start()
    time.sleep(1)  # the vote is now inside the injected 3 s delay, even on a busy machine
    server.process.send_signal(signal.SIGTERM)
    voter.join()
    assert server.process.wait(15) == 0
    assert answers[0].status_code == 200
    assert answers[0].json() == {"name": "ihop", "value": 1}
    assert postgres.counts(database_name)["ihop"] == 1


def test_shutdown_delay_reports_not_ready_while_still_serving(appserver_factory, app_env):
    server = appserver_factory({**app_env, "YELB_SHUTDOWN_DELAY": "2"}, workers=1)
    url = server.url
    assert requests.get(f"{url}/readyz", timeout=5).status_code == 200
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    ready = requests.get(f"{url}/readyz", timeout=5)
    assert ready.status_code == 503
    assert "shutting down" in ready.json()["reasons"]
    assert requests.post(f"{url}/api/votes/outback", timeout=5).status_code == 200
    assert server.process.wait(15) == 0


def test_every_request_line_is_written_before_a_graceful_exit(appserver_factory):
    """Request lines go out in batches (batched_lines.py): a worker's last ones at its exit."""
    server = appserver_factory({"YELB_SHUTDOWN_DELAY": "0"}, workers=2)
    ids = [f"last-words-{number}" for number in range(300)]
    with requests.Session() as session:
        for request_id in ids:
            session.get(f"{server.url}/api/hostname", headers={"X-Request-ID": request_id}, timeout=5)
    assert server.stop() == 0
    logged = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    assert sorted(line["request_id"] for line in logged if line.get("message") == "request"
                  and line["request_id"].startswith("last-words-")) == sorted(ids)
