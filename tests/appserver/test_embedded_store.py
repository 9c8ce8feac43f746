"""The embedded SQLite store in the real command: its start-up log line, mixed with PostgreSQL,
and a read-only folder. Votes kept across restarts: yelb-appserver/tests/test_votes.py."""

import json
import os
import sqlite3
import subprocess

import pytest
import requests

from stack.services import appserver_command, free_port


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


@pytest.mark.parametrize("existing_file", [False, True])
def test_read_only_folder_stops_the_start_with_one_line_naming_the_path(tmp_path, existing_file):
    """As in a container with a read-only root: the folder is mounted read-only
    (a mount namespace of the command's own, so even root cannot write there)."""
    folder = tmp_path / "data"
    folder.mkdir()
    if existing_file:
        with sqlite3.connect(folder / "yelb.sqlite3") as conn:
            conn.execute("CREATE TABLE restaurants (name TEXT PRIMARY KEY, count INTEGER NOT NULL DEFAULT 0)")
    env = {"PATH": "/usr/bin:/bin", "YELB_SQLITE_PATH": str(folder / "yelb.sqlite3"),
           "YELB_APPSERVER_PORT": str(free_port()), "YELB_APPSERVER_WORKERS": "3",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
           **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}
    result = subprocess.run(["unshare", "--mount", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$1"',
                             str(folder), appserver_command()],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr[-2000:]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"yelb-appserver: configuration error: YELB_SQLITE_PATH: cannot use "
                           f"'{folder / 'yelb.sqlite3'}' for the embedded store: ")
