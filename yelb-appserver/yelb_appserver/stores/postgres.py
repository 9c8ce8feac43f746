"""Votes in PostgreSQL, in the original Yelb's table.

Schema: schema.sql (restaurants(name char(30) primary key, count integer) and
vote_keys for Idempotency-Keys), in database yelbdatabase. A missing database
or missing tables are created, and every configured option gets a row at 0
without touching existing counts, so a stock PostgreSQL works and adding an
option never resets a vote.

Connections: each worker's pool holds at most its share of
YELB_DB_MAX_CONNECTIONS, so a replica never opens more than that budget.
Setting up a connection does a constant amount of work; expired keys are
deleted by a KeyPruner in small batches.
"""

from __future__ import annotations

import select
from contextlib import contextmanager
from typing import Iterator

import psycopg
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from ..config import Config
from ..dependencies import Dependency
from . import SCHEMA, VOTE_KEY_RETENTION_SECONDS, IdempotencyKeyReused, KeyPruner, seed_rows

MISSING_TABLES = "SELECT to_regclass('restaurants') IS NULL OR to_regclass('vote_keys') IS NULL"
# Any fixed number, the same in every appserver process: with it only one process
# in the whole deployment prunes at a time, and the others skip their turn.
PRUNE_LOCK_KEY = 4568
# One batch of expired keys, found through the index on voted_at.
DELETE_EXPIRED_KEYS = (
    "DELETE FROM vote_keys WHERE key IN ("
    "SELECT key FROM vote_keys WHERE voted_at < now() - make_interval(secs => %s) LIMIT %s)"
)
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
# A key already used: which option it counted, and that option's count now.
READ_KEYED_VOTE = (
    "SELECT k.name, COALESCE(r.count, 0) FROM vote_keys k "
    "LEFT JOIN restaurants r ON rtrim(r.name) = k.name WHERE k.key = %s"
)
READ_COUNTS = "SELECT rtrim(name), COALESCE(count, 0) FROM restaurants WHERE rtrim(name) = ANY(%s)"


def create_missing_database(conninfo: str) -> bool:
    """Create the database named in conninfo if the server lacks it; True if created.

    The yelb-db image creates yelbdatabase itself; a stock PostgreSQL server
    doesn't, and the appserver should work against either.
    """
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


def create_tables(conn: psycopg.Connection) -> None:
    try:
        with conn.transaction():
            conn.execute(SCHEMA)
    except (errors.UniqueViolation, errors.DuplicateTable, errors.DuplicateObject):
        # CREATE ... IF NOT EXISTS is not safe against a twin running at the same moment:
        # the slower one fails once the faster one has committed, and the tables are there.
        pass


def describe_connect_failure(failure: psycopg.OperationalError) -> str:
    """What a 503 says when no connection could be made: the server's reason, without its address."""
    text = str(failure)
    if "too many clients" in text or "too many connections" in text or "connection slots are reserved" in text:
        return "too many connections: PostgreSQL has no free connection slot"
    reason = text.strip().splitlines()[0] if text.strip() else type(failure).__name__
    return f"cannot connect: {reason.rpartition(' failed: ')[2]}"


def check_idle_connection(conn: psycopg.Connection) -> None:
    """Raises for a pooled connection the server has closed (a restart, a failover), so the
    pool replaces it instead of failing a vote.

    An idle connection's server says nothing until asked, so a connection it closed has its
    FATAL message and end of stream waiting to be read. Only then is it worth a round trip
    (psycopg_pool's own check); a healthy connection is handed out without one.
    """
    if _has_input(conn.fileno()):
        ConnectionPool.check_connection(conn)


def _has_input(descriptor: int) -> bool:
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(0))


class PostgresVoteStore:
    dependency = "postgresql"

    def __init__(self, config: Config):
        self._options = config.options
        self._call = Dependency(self.dependency, (psycopg.Error, PoolTimeout)).call
        # Why the last connection attempt failed; None once one succeeds.
        self._connect_failure: str | None = None
        timeout_ms = int(config.dependency_timeout * 1000)
        self._pool = ConnectionPool(
            config.postgres_conninfo,
            connection_class=self._connection_class(),
            kwargs={"autocommit": True,
                    "options": f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}"},
            min_size=1,
            max_size=config.db_connections_per_worker,
            timeout=config.dependency_timeout,
            # A short reconnect window: the pool gives up on a failed slot quickly and the
            # next request starts a fresh attempt, so a restarted server (or a free slot
            # after "too many clients") is picked up in seconds, without a restart.
            reconnect_timeout=max(2.0, config.dependency_timeout),
            configure=self._prepare,
            check=check_idle_connection,
            name="yelb-votes",
            open=False,
        )
        self._pool.open(wait=False)
        self._pruner = KeyPruner(self.dependency, self._delete_expired_keys)

    def _connection_class(self) -> type[psycopg.Connection]:
        """What the pool connects with: it creates a missing database, and it remembers why
        the last attempt failed, for the message of the 503 that a PoolTimeout becomes."""
        store = self

        class StoreConnection(psycopg.Connection):
            @classmethod
            def connect(cls, conninfo: str = "", **kwargs):
                try:
                    conn = super().connect(conninfo, **kwargs)
                except psycopg.OperationalError as failure:
                    # libpq gives no SQLSTATE for a failed connection, so ask the server.
                    if not create_missing_database(conninfo):
                        store._connect_failure = describe_connect_failure(failure)
                        raise
                    conn = super().connect(conninfo, **kwargs)
                store._connect_failure = None
                return conn

        return StoreConnection

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout:
            if self._connect_failure is None:
                raise
            raise PoolTimeout(self._connect_failure) from None

    def _prepare(self, conn: psycopg.Connection) -> None:
        # Runs on every new pooled connection, so it must cost the same whatever the
        # data: it recreates missing tables (a database wiped while the appserver ran)
        # and seeds the options. Existing tables are left alone, which is also all a
        # role without CREATE rights (the yelb-db image's `yelb`) may do.
        with conn.transaction():
            if conn.execute(MISSING_TABLES).fetchone()[0]:
                create_tables(conn)
            conn.cursor().executemany(SEED_OPTION, seed_rows(self._options))

    def start_pruning(self) -> None:
        self._pruner.start()

    def _delete_expired_keys(self, limit: int) -> int | None:
        with self._connection() as conn, conn.transaction():
            if not conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (PRUNE_LOCK_KEY,)).fetchone()[0]:
                return None
            return conn.execute(DELETE_EXPIRED_KEYS, (VOTE_KEY_RETENTION_SECONDS, limit)).rowcount

    def vote(self, name: str, key: str | None = None) -> int:
        def cast() -> int:
            with self._connection() as conn:
                if key is None:
                    return conn.execute(CAST_VOTE, (name,)).fetchone()[0]
                while True:
                    counted = conn.execute(CAST_KEYED_VOTE, (key, name)).fetchone()
                    if counted:
                        return counted[0]
                    replayed = conn.execute(READ_KEYED_VOTE, (key,)).fetchone()
                    if replayed:  # else the key expired and was pruned just now: a new vote
                        break
            first_option, count = replayed
            if first_option != name:
                raise IdempotencyKeyReused(first_option)
            return count

        return self._call("vote", cast)

    def counts(self) -> dict[str, int]:
        names = [option.name for option in self._options]

        def read() -> dict[str, int]:
            with self._connection() as conn:
                return dict(conn.execute(READ_COUNTS, (names,)).fetchall())

        return self._call("read", read)

    def ping(self) -> None:
        def select_one() -> None:
            with self._connection() as conn:
                conn.execute("SELECT 1")

        self._call("ping", select_one)
