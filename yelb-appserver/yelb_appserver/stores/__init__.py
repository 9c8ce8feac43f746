"""Vote and page-view stores, chosen from the configuration.

Votes: PostgreSQL when YELB_DB_SERVER_ENDPOINT is set, else the embedded
SQLite file. Page views: Redis when REDIS_SERVER_ENDPOINT is set, else the
same SQLite file. Each store exposes the same small methods, wrapped by a
Dependency so failures surface as DependencyError.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading
import time
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Callable, Protocol

from ..config import Config, ConfigError
from ..options import Option

# The tables of votes, the same SQL for PostgreSQL, SQLite and the yelb-db image.
SCHEMA = Path(__file__).with_name("schema.sql").read_text()


class VoteStore(Protocol):
    dependency: str

    def vote(self, name: str, key: str | None = None) -> int:
        """The option's count after the vote; raises IdempotencyKeyReused when
        `key` already counted a vote for another option (nothing is counted)."""

    def counts(self) -> dict[str, int]: ...
    def ping(self) -> None: ...
    def start_pruning(self) -> None:
        """Start deleting expired Idempotency-Keys in the background (a KeyPruner)."""


class PageViewStore(Protocol):
    dependency: str

    def increment(self) -> int: ...
    def current(self) -> int: ...
    def ping(self) -> None: ...


def open_embedded_store(config: Config):
    """The SQLite store; a file it cannot use is a ConfigError naming YELB_SQLITE_PATH."""
    from .sqlite import SqliteStore

    with _naming_the_path(config):
        return SqliteStore(config.sqlite_path, config.options, config.dependency_timeout)


def check_embedded_store(config: Config) -> None:
    """Before any worker starts: the embedded store, when one is used, must be
    usable, or the start stops with one line naming YELB_SQLITE_PATH."""
    if config.uses_postgres and config.uses_redis:
        return
    from . import sqlite_file

    with _naming_the_path(config):
        with closing(sqlite_file.connect(config.sqlite_path, config.dependency_timeout)) as conn:
            sqlite_file.prepare(conn, config.options, config.dependency_timeout)


@contextmanager
def _naming_the_path(config: Config):
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"YELB_SQLITE_PATH: cannot use {config.sqlite_path!r} for the embedded "
                          f"store: {exc}") from None


def open_stores(config: Config) -> tuple[VoteStore, PageViewStore]:
    sqlite = None
    if not (config.uses_postgres and config.uses_redis):
        sqlite = open_embedded_store(config)
    if config.uses_postgres:
        from .postgres import PostgresVoteStore

        votes: VoteStore = PostgresVoteStore(config)
    else:
        votes = sqlite
    if config.uses_redis:
        from .redis import RedisPageViewStore

        pageviews: PageViewStore = RedisPageViewStore(config)
    else:
        pageviews = sqlite
    votes.start_pruning()
    return votes, pageviews


# How long an Idempotency-Key is remembered: far longer than any retry, short
# enough that the table stays small. Expired keys are deleted by a KeyPruner.
VOTE_KEY_RETENTION_SECONDS = 3600
# Each worker's pruner wakes every ~PRUNE_INTERVAL_SECONDS (jittered, so the
# workers of every replica spread out) and deletes at most PRUNE_BATCHES_PER_RUN
# batches of PRUNE_BATCH_ROWS, each its own short transaction on a connection
# it then gives back: votes never wait behind a long DELETE.
PRUNE_INTERVAL_SECONDS = 2.0
PRUNE_BATCH_ROWS = 1000
PRUNE_BATCHES_PER_RUN = 10

log = logging.getLogger("yelb.stores")


class IdempotencyKeyReused(Exception):
    """The Idempotency-Key was already used for a vote for another option."""

    def __init__(self, first_option: str):
        super().__init__(first_option)
        self.first_option = first_option


class KeyPruner:
    """Deletes expired Idempotency-Keys continuously, off the request and connection paths.

    `delete_batch(limit)` deletes at most `limit` expired keys in one short
    transaction and returns how many it deleted, or None when another process
    is pruning right now. A failure is logged once per streak and retried on
    the next run; it never touches a vote.
    """

    def __init__(self, store: str, delete_batch: Callable[[int], int | None]):
        self._store = store
        self._delete_batch = delete_batch
        self._failing = False

    def start(self) -> None:
        threading.Thread(target=self._run_forever, name=f"{self._store}-key-pruner",
                         daemon=True).start()

    def run_once(self) -> int:
        deleted = 0
        for _ in range(PRUNE_BATCHES_PER_RUN):
            rows = self._delete_batch(PRUNE_BATCH_ROWS)
            if rows is None:
                break
            deleted += rows
            if rows < PRUNE_BATCH_ROWS:
                break
        return deleted

    def _run_forever(self) -> None:
        while True:
            time.sleep(PRUNE_INTERVAL_SECONDS * random.uniform(0.5, 1.5))
            started = time.perf_counter()
            try:
                deleted = self.run_once()
            except Exception as exc:  # noqa: BLE001 - any failure waits for the next run
                if not self._failing:
                    log.warning("pruning expired idempotency keys failed; retrying",
                                extra={"fields": {"store": self._store, "detail": str(exc).strip()}})
                self._failing = True
                continue
            self._failing = False
            if deleted:
                log.debug("pruned expired idempotency keys", extra={"fields": {
                    "store": self._store, "rows": deleted,
                    "ms": round((time.perf_counter() - started) * 1000, 1)}})


def seed_rows(options: tuple[Option, ...]) -> list[tuple[str]]:
    return [(option.name,) for option in options]
