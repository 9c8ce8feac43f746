"""The fast tier: the app in-process with Flask's test client, on the embedded SQLite store.

Needs only the package's pip dependencies: `pytest yelb-appserver` from a fresh venv.
"""

from __future__ import annotations

import pytest

from yelb_appserver import create_app
from yelb_appserver.config import Config


@pytest.fixture
def make_app(tmp_path):
    """An app built from these settings (environment-style strings) on a fresh SQLite file."""

    def build(**settings: str):
        env = {"YELB_SQLITE_PATH": str(tmp_path / "yelb.sqlite3"),
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **settings}
        return create_app(Config.from_env(env))

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()
