"""The embedded store's file: opening it and its schema, with nothing else of
the app imported, so the yelb-appserver command can check it before gunicorn
starts (metrics must not be touched before their folder is prepared)."""

from __future__ import annotations

import sqlite3

from ..options import Option
from . import SCHEMA, seed_rows

# Page views live in Redis when it is configured; this table is the embedded store's
# stand-in for its `pageviews` key, so it is not part of the shared schema.
CREATE_COUNTERS = "CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0)"
SEED_OPTION = "INSERT INTO restaurants (name, count) VALUES (?, 0) ON CONFLICT (name) DO NOTHING"
# Workers starting together wait for each other's schema step this long, not
# just YELB_DEPENDENCY_TIMEOUT: a worker that gave up would die at boot.
SCHEMA_BUSY_SECONDS = 20


def connect(path: str, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=True)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def prepare(conn: sqlite3.Connection, options: tuple[Option, ...], timeout: float) -> None:
    """Create what is missing and give every option a row, keeping existing counts."""
    conn.execute(f"PRAGMA busy_timeout = {SCHEMA_BUSY_SECONDS * 1000}")
    conn.executescript(SCHEMA)
    conn.execute(CREATE_COUNTERS)
    conn.executemany(SEED_OPTION, seed_rows(options))
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
