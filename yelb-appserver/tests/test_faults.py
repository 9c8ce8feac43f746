"""Fault injection as one concern: faults.py puts it in place, the rest of the package never sees it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from yelb_appserver.config import Config, ConfigError

PACKAGE = Path(__file__).resolve().parents[1] / "yelb_appserver"
TOKEN = "fast-tier-fault-token-0123"
AUTHORIZED = {"Authorization": f"Bearer {TOKEN}"}
# Words that show code knowing about fault injection ("default" is not one of them).
FAULT_WORDS = re.compile(r"\bfaults?\b|\bfault_|\binjected", re.IGNORECASE)


@pytest.fixture
def faulty(make_app):
    return make_app(YELB_FAULT_INJECTION="true", YELB_FAULT_TOKEN=TOKEN).test_client()


def test_only_the_fault_module_and_config_know_about_faults():
    knowing = {path.relative_to(PACKAGE).as_posix(): [line.strip() for line in path.read_text().splitlines()
                                                      if FAULT_WORDS.search(line)]
               for path in PACKAGE.rglob("*.py")}
    knowing = {name: lines for name, lines in knowing.items() if lines}
    assert set(knowing) == {"faults.py", "config.py", "__init__.py"}, knowing
    code = [line for line in knowing["__init__.py"] if not line.startswith(("faults.py", "(inactive"))]
    assert len(code) == 2, code
    assert code[0].startswith("from . import ") and " faults," in code[0]
    assert code[1] == "faults.install(app)"


def test_dependency_latency_is_applied_around_the_store(faulty):
    faulty.put("/api/faults", json={"db_latency_ms": 300}, headers=AUTHORIZED)
    started = time.monotonic()
    assert faulty.get("/api/getvotes").status_code == 200
    assert time.monotonic() - started >= 0.3
    faulty.delete("/api/faults", headers=AUTHORIZED)
    assert faulty.get("/api/faults", headers=AUTHORIZED).json["faults"]["db_latency_ms"] == 0


def test_readiness_fault_turns_readiness_to_503_with_its_reason(faulty):
    assert faulty.get("/readyz").json["faults"]["readiness_fail"] is False
    faulty.put("/api/faults", json={"readiness_fail": True}, headers=AUTHORIZED)
    for path in ("/readyz", "/api/readyz"):
        ready = faulty.get(path)
        assert ready.status_code == 503
        assert ready.json["status"] == "unavailable"
        assert ready.json["reasons"] == ["readiness fault injected"]
        assert ready.json["checks"]["votes"]["status"] == "up"
    faulty.delete("/api/faults", headers=AUTHORIZED)
    assert faulty.get("/readyz").status_code == 200


def test_readiness_says_nothing_of_faults_when_disabled(client):
    assert "faults" not in client.get("/readyz").json


def test_faults_never_get_a_cors_grant_other_api_routes_do(faulty):
    preflight = {"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "PUT"}
    assert "Access-Control-Allow-Origin" not in faulty.options("/api/faults", headers=preflight).headers
    assert "Access-Control-Allow-Origin" not in faulty.get("/api/faults", headers=AUTHORIZED).headers
    assert faulty.get("/api/getvotes").headers["Access-Control-Allow-Origin"] == "*"


def test_error_rate_answers_500_on_api_routes_only(faulty):
    faulty.put("/api/faults", json={"error_rate": 1.0}, headers=AUTHORIZED)
    assert faulty.get("/api/getvotes").status_code == 500
    assert faulty.get("/healthz").status_code == 200
    assert faulty.get("/api/faults", headers=AUTHORIZED).status_code == 200


def test_fault_gauge_is_in_the_metrics(faulty):
    faulty.put("/api/faults", json={"latency_ms": 5}, headers=AUTHORIZED)
    scraped = faulty.get("/metrics").text
    assert 'yelb_fault_injection_active{fault="latency_ms"} 1.0' in scraped
    assert 'yelb_fault_injection_active{fault="error_rate"} 0.0' in scraped


@pytest.mark.parametrize("faults, message", [
    ('{"latency_ms": -1}', "latency_ms must be a whole number of milliseconds"),
    ('{"nope": 1}', "unknown fault 'nope'"),
    ("{not json", "is not valid JSON"),
    ("[1]", "body must be a JSON object"),
])
def test_bad_yelb_faults_is_one_line_naming_it(tmp_path, faults, message):
    with pytest.raises(ConfigError) as error:
        Config.from_env({"YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": TOKEN, "YELB_FAULTS": faults,
                         "YELB_SQLITE_PATH": str(tmp_path / "yelb.sqlite3")})
    assert str(error.value).startswith("YELB_FAULTS: ") and message in str(error.value)
    assert "\n" not in str(error.value)


def test_yelb_faults_are_active_from_the_start(make_app):
    app = make_app(YELB_FAULT_INJECTION="true", YELB_FAULT_TOKEN=TOKEN, YELB_FAULTS='{"readiness_fail": true}')
    assert app.test_client().get("/readyz").status_code == 503


def test_a_new_run_starts_without_the_faults_of_the_run_before(tmp_path, monkeypatch):
    from yelb_appserver.cli import prepare_metrics_dir
    from yelb_appserver.faults import FaultState

    FaultState(True, str(tmp_path)).set({"readiness_fail": True})
    assert FaultState(True, str(tmp_path)).current()["readiness_fail"] is True  # another worker sees it
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    prepare_metrics_dir()
    assert FaultState(True, str(tmp_path)).current()["readiness_fail"] is False
