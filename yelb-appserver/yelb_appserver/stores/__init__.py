"""Vote and page-view stores, chosen from the configuration.

Votes: PostgreSQL when YELB_DB_SERVER_ENDPOINT is set, else the embedded
SQLite file. Page views: Redis when REDIS_SERVER_ENDPOINT is set, else the
same SQLite file. Each store exposes the same small methods, wrapped by a
Dependency so failures surface as DependencyError.
"""

from __future__ import annotations

from typing import Callable, Protocol

from ..config import Config
from ..options import Option


class VoteStore(Protocol):
    dependency: str

    def vote(self, name: str, key: str | None = None) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def ping(self) -> None: ...


class PageViewStore(Protocol):
    dependency: str

    def increment(self) -> int: ...
    def current(self) -> int: ...
    def ping(self) -> None: ...


def open_stores(config: Config, latency: Callable[[str], float]) -> tuple[VoteStore, PageViewStore]:
    """Build the stores; `latency(dependency)` gives the injected delay in seconds."""
    from .sqlite import SqliteStore

    sqlite = None
    if not (config.uses_postgres and config.uses_redis):
        sqlite = SqliteStore(config.sqlite_path, config.options, config.dependency_timeout,
                             lambda: latency("sqlite"))
    if config.uses_postgres:
        from .postgres import PostgresVoteStore

        votes: VoteStore = PostgresVoteStore(config, lambda: latency("postgresql"))
    else:
        votes = sqlite
    if config.uses_redis:
        from .redis import RedisPageViewStore

        pageviews: PageViewStore = RedisPageViewStore(config, lambda: latency("redis"))
    else:
        pageviews = sqlite
    return votes, pageviews


# How long an Idempotency-Key is remembered: far longer than any retry, short
# enough that the table stays small.
VOTE_KEY_HOURS = 1


def seed_rows(options: tuple[Option, ...]) -> list[tuple[str]]:
    return [(option.name,) for option in options]
