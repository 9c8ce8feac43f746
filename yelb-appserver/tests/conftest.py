"""The fast tier: the app in-process with Flask's test client, on the embedded SQLite store.

Needs only the package's pip dependencies: `pytest yelb-appserver` from a fresh venv.
Tests that need real PostgreSQL, Redis or gunicorn processes live in the top-level tests/.
"""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from yelb_appserver import create_app
from yelb_appserver.config import Config


class YelbClient(FlaskClient):
    """Flask's test client, plus the two reads most tests compare before and after."""

    def counts(self) -> dict[str, int]:
        return {row["name"]: row["value"] for row in self.get("/api/getvotes").get_json()}

    def metrics(self) -> dict[tuple, float]:
        """/metrics as {(sample name, sorted labels): value}."""
        response = self.get("/metrics")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(response.get_data(as_text=True))
                for sample in family.samples}

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics().get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def make_app(tmp_path):
    """An app built from these settings (environment-style strings) on a fresh SQLite file.

    Apps made in one test share the file, and the folder where the workers of a
    replica share their state, as the workers of one replica do.
    """

    def build(**settings: str):
        env = {"YELB_SQLITE_PATH": str(tmp_path / "yelb.sqlite3"),
               "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **settings}
        app = create_app(Config.from_env(env))
        app.test_client_class = YelbClient
        return app

    return build


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app) -> YelbClient:
    return app.test_client()


@pytest.fixture
def wait_until():
    """Poll `condition` until it is true, failing after `seconds`."""

    def wait(condition, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"gave up waiting for {what} after {seconds} s"
            time.sleep(0.05)

    return wait
