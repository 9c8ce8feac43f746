"""The embedded store: votes and page views in one local SQLite file.

It lets the appserver run alone on a laptop. Several gunicorn workers share the
file safely: WAL mode, a busy timeout, and single-statement updates. Expired
Idempotency-Keys are deleted by a KeyPruner in small batches, never in one
long write that would keep the other workers waiting.
"""

from __future__ import annotations

import sqlite3
import threading
from ..dependencies import Dependency
from ..options import Option
from . import VOTE_KEY_RETENTION_SECONDS, IdempotencyKeyReused, KeyPruner
from .sqlite_file import connect, prepare

DELETE_EXPIRED_KEYS = (
    "DELETE FROM vote_keys WHERE rowid IN (SELECT rowid FROM vote_keys "
    "WHERE voted_at < datetime('now', ?) LIMIT ?)"
)
CAST_VOTE = (
    "INSERT INTO restaurants (name, count) VALUES (?, 1) "
    "ON CONFLICT (name) DO UPDATE SET count = count + 1 RETURNING count"
)
COUNT_PAGEVIEW = (
    "INSERT INTO counters (name, value) VALUES ('pageviews', 1) "
    "ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value"
)


class SqliteStore:
    dependency = "sqlite"

    def __init__(self, path: str, options: tuple[Option, ...], timeout: float):
        self._path = path
        self._options = options
        self._timeout = timeout
        self._local = threading.local()
        self._call = Dependency(self.dependency, (sqlite3.Error,)).call
        self._pruner = KeyPruner(self.dependency, self._delete_expired_keys)
        prepare(self._connection(), options, timeout)

    def start_pruning(self) -> None:
        # Every connection to ":memory:" is a database of its own: nothing to prune.
        if self._path != ":memory:":
            self._pruner.start()

    def _delete_expired_keys(self, limit: int) -> int:
        return self._connection().execute(
            DELETE_EXPIRED_KEYS, (f"-{VOTE_KEY_RETENTION_SECONDS} seconds", limit)).rowcount

    def _connection(self) -> sqlite3.Connection:
        # sqlite3 connections must stay in the thread that made them.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self._path, self._timeout)
        return conn

    def vote(self, name: str, key: str | None = None) -> int:
        def cast() -> int:
            conn = self._connection()
            if key is None:
                return conn.execute(CAST_VOTE, (name,)).fetchone()[0]
            # One write transaction: the key and the count change together or not at all.
            conn.execute("BEGIN IMMEDIATE")
            try:
                claimed = conn.execute("INSERT INTO vote_keys (key, name) VALUES (?, ?) "
                                       "ON CONFLICT (key) DO NOTHING", (key, name)).rowcount
                if not claimed:
                    (first_option,) = conn.execute("SELECT name FROM vote_keys WHERE key = ?",
                                                   (key,)).fetchone()
                    if first_option != name:
                        raise IdempotencyKeyReused(first_option)
                count = (conn.execute(CAST_VOTE, (name,)) if claimed else conn.execute(
                    "SELECT count FROM restaurants WHERE name = ?", (name,))).fetchone()[0]
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return count

        return self._call("vote", cast)

    def counts(self) -> dict[str, int]:
        names = [option.name for option in self._options]
        query = f"SELECT name, count FROM restaurants WHERE name IN ({','.join('?' * len(names))})"
        return self._call("read", lambda: dict(self._connection().execute(query, names).fetchall()))

    def increment(self) -> int:
        return self._call("incr", lambda: self._connection().execute(COUNT_PAGEVIEW).fetchone()[0])

    def current(self) -> int:
        row = self._call("read", lambda: self._connection().execute(
            "SELECT value FROM counters WHERE name = 'pageviews'").fetchone())
        return row[0] if row else 0

    def ping(self) -> None:
        self._call("ping", lambda: self._connection().execute("SELECT 1").fetchone())
