"""Votes in PostgreSQL, in the original Yelb's table.

Schema: restaurants(name char(30) primary key, count integer), in database
yelbdatabase. The table is created when missing and every configured option
gets a row at 0 without touching existing counts, so a stock PostgreSQL works
and adding an option never resets a vote.
"""

from __future__ import annotations

import select
from typing import Callable

import psycopg
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from ..config import Config
from ..dependencies import Dependency
from . import VOTE_KEY_HOURS, seed_rows

# Any fixed number: it only has to be the same for every appserver process,
# so that two replicas starting together don't race on CREATE TABLE.
SCHEMA_LOCK_KEY = 4567

CREATE_TABLE = "CREATE TABLE IF NOT EXISTS restaurants (name char(30) PRIMARY KEY, count integer)"
# Votes sent with an Idempotency-Key, so a retried vote is counted once.
CREATE_KEYS_TABLE = (
    "CREATE TABLE IF NOT EXISTS vote_keys (key text PRIMARY KEY, name text NOT NULL, "
    "voted_at timestamptz NOT NULL DEFAULT now())"
)
FORGET_OLD_KEYS = f"DELETE FROM vote_keys WHERE voted_at < now() - interval '{VOTE_KEY_HOURS} hours'"
SEED_OPTION = "INSERT INTO restaurants (name, count) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING"
# One statement, so concurrent votes serialise on the row lock and none is lost.
CAST_VOTE = (
    "INSERT INTO restaurants (name, count) VALUES (%s, 1) "
    "ON CONFLICT (name) DO UPDATE SET count = COALESCE(restaurants.count, 0) + 1 "
    "RETURNING count"
)
# Counts the vote only if the key is new; a repeated key counts nothing.
CAST_KEYED_VOTE = (
    "WITH claimed AS (INSERT INTO vote_keys (key, name) VALUES (%s, %s) "
    "ON CONFLICT (key) DO NOTHING RETURNING name) "
    "INSERT INTO restaurants (name, count) SELECT name, 1 FROM claimed "
    "ON CONFLICT (name) DO UPDATE SET count = COALESCE(restaurants.count, 0) + 1 "
    "RETURNING count"
)
READ_COUNT = "SELECT COALESCE(count, 0) FROM restaurants WHERE rtrim(name) = %s"
READ_COUNTS = "SELECT rtrim(name), COALESCE(count, 0) FROM restaurants WHERE rtrim(name) = ANY(%s)"


class CreatingConnection(psycopg.Connection):
    """A connection that creates its database when the server has none by that name.

    The original yelb-db image creates yelbdatabase itself; a stock PostgreSQL
    server doesn't, and the appserver should work against either.
    """

    @classmethod
    def connect(cls, conninfo: str = "", **kwargs):
        try:
            return super().connect(conninfo, **kwargs)
        except psycopg.OperationalError as failure:
            # libpq gives no SQLSTATE for a failed connection, so ask the server.
            if not _create_missing_database(conninfo):
                raise failure from None
            return super().connect(conninfo, **kwargs)


def _create_missing_database(conninfo: str) -> bool:
    """Create the database named in conninfo if the server lacks it; True if created."""
    dbname = conninfo_to_dict(conninfo)["dbname"]
    try:
        with psycopg.connect(make_conninfo(conninfo, dbname="postgres"), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone():
                return False
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            return True
    except errors.DuplicateDatabase:
        return True  # another replica created it first
    except psycopg.Error:
        return False


def check_idle_connection(conn: psycopg.Connection) -> None:
    """Pool check on checkout, without a round trip for a healthy connection.

    An idle connection has nothing to read unless the server is going away: a
    shutting-down or restarted server sends its termination notice or closes
    the socket, which makes it readable. Only then is a real query run, which
    raises, so the pool drops the connection and hands out another.
    """
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable or conn.broken:
        ConnectionPool.check_connection(conn)


class PostgresVoteStore:
    dependency = "postgresql"

    def __init__(self, config: Config, latency: Callable[[], float]):
        self._options = config.options
        self._call = Dependency(self.dependency, (psycopg.Error, PoolTimeout), latency).call
        timeout_ms = int(config.dependency_timeout * 1000)
        self._pool = ConnectionPool(
            config.postgres_conninfo,
            connection_class=CreatingConnection,
            kwargs={"autocommit": True,
                    "options": f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}"},
            min_size=1,
            max_size=max(2, config.threads),
            timeout=config.dependency_timeout,
            # A short reconnect window: the pool gives up on a failed slot quickly and the
            # next request starts a fresh attempt, so a restarted server is picked up in
            # seconds instead of after a long exponential back-off.
            reconnect_timeout=max(2.0, config.dependency_timeout),
            configure=self._create_schema,
            check=check_idle_connection,
            name="yelb-votes",
            open=False,
        )
        self._pool.open(wait=False)

    def _create_schema(self, conn: psycopg.Connection) -> None:
        # Runs on every new pooled connection: cheap, idempotent, and it recreates the
        # table if a database was wiped while the appserver ran.
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            conn.execute(CREATE_TABLE)
            conn.execute(CREATE_KEYS_TABLE)
            # New connections are rare and spread over time: a good moment to tidy up.
            conn.execute(FORGET_OLD_KEYS)
            conn.cursor().executemany(SEED_OPTION, seed_rows(self._options))

    def vote(self, name: str, key: str | None = None) -> int:
        def cast() -> int:
            with self._pool.connection() as conn:
                if key is None:
                    return conn.execute(CAST_VOTE, (name,)).fetchone()[0]
                counted = conn.execute(CAST_KEYED_VOTE, (key, name)).fetchone()
                return counted[0] if counted else conn.execute(READ_COUNT, (name,)).fetchone()[0]

        return self._call("vote", cast)

    def counts(self) -> dict[str, int]:
        names = [option.name for option in self._options]

        def read() -> dict[str, int]:
            with self._pool.connection() as conn:
                return dict(conn.execute(READ_COUNTS, (names,)).fetchall())

        return self._call("read", read)

    def ping(self) -> None:
        def select_one() -> None:
            with self._pool.connection() as conn:
                conn.execute("SELECT 1")

        self._call("ping", select_one)
