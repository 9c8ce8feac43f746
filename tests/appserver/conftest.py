"""Appserver fixtures: a gunicorn appserver on the shared PostgreSQL and Redis."""

from __future__ import annotations

import pytest
import requests

from stack.services import RedisServer


@pytest.fixture
def app_env(postgres, redis_server, database_name) -> dict[str, str]:
    """Environment for an appserver with a database of its own."""
    return {**postgres.env(database_name), **redis_server.env()}


@pytest.fixture
def own_redis(tmp_path):
    """A Redis of the test's own, to stop or freeze without touching the shared one."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.destroy()


@pytest.fixture
def appserver(appserver_factory, app_env):
    return appserver_factory(app_env)


@pytest.fixture
def api(appserver):
    """A requests session bound to the appserver's URL: api.get("/api/getvotes")."""
    return Client(appserver.url)


class Client(requests.Session):
    def __init__(self, base_url: str):
        super().__init__()
        self.base_url = base_url

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base_url + url, *args, **kwargs)

    def counts(self) -> dict[str, int]:
        return {row["name"]: row["value"] for row in self.get("/api/getvotes").json()}
