"""With nothing configured, votes and page views live in one SQLite file."""

import json
import sqlite3

import requests


def test_embedded_store_needs_no_server_and_keeps_votes_across_restarts(appserver_factory, tmp_path):
    path = tmp_path / "votes.sqlite3"
    first = appserver_factory({"YELB_SQLITE_PATH": str(path)})
    ready = requests.get(f"{first.url}/readyz", timeout=5).json()
    assert ready["status"] == "ready"
    assert ready["backend"] == "sqlite"
    assert ready["checks"]["pageviews"]["dependency"] == "sqlite"
    assert requests.get(f"{first.url}/api/ihop", timeout=5).json() == 1
    assert requests.get(f"{first.url}/api/getstats", timeout=5).json()["pageviews"] == 1
    first.stop()

    second = appserver_factory({"YELB_SQLITE_PATH": str(path)})
    assert requests.get(f"{second.url}/api/ihop", timeout=5).json() == 2
    assert requests.get(f"{second.url}/api/pageviews", timeout=5).json() == 2
    with sqlite3.connect(path) as conn:
        assert dict(conn.execute("SELECT name, count FROM restaurants")) == {
            "outback": 0, "bucadibeppo": 0, "ihop": 2, "chipotle": 0}


def test_backend_in_use_is_logged_at_start(appserver_factory, tmp_path):
    server = appserver_factory({"YELB_SQLITE_PATH": str(tmp_path / "y.sqlite3")})
    starting = [json.loads(line) for line in server.log_text().splitlines()
                if "yelb-appserver starting" in line]
    assert len(starting) == 1
    assert f"sqlite:{tmp_path / 'y.sqlite3'}" in starting[0]["message"]


def test_postgres_for_votes_and_sqlite_for_page_views(appserver_factory, postgres, database_name):
    server = appserver_factory(postgres.env(database_name))
    ready = requests.get(f"{server.url}/readyz", timeout=5).json()
    assert (ready["backend"], ready["checks"]["pageviews"]["dependency"]) == ("postgresql", "sqlite")
    assert requests.get(f"{server.url}/api/getstats", timeout=5).json()["pageviews"] == 1
