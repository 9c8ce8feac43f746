"""The Prometheus alert rules load, fire as their unit tests say, and name only real metrics."""

import subprocess
from pathlib import Path

import yaml

from tests.observability.promql import check_rules_file, problems, promtool

RULES_DIR = Path(__file__).parents[2] / "monitoring" / "prometheus"
ALERTS = RULES_DIR / "alerts.yml"


def alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_rules_load_with_promtool():
    result = check_rules_file(ALERTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_fire_as_their_unit_tests_expect():
    result = subprocess.run([promtool(), "test", "rules", "alerts.test.yml"], cwd=RULES_DIR,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test():
    tests = yaml.safe_load((RULES_DIR / "alerts.test.yml").read_text())["tests"]
    tested = {case["alertname"] for test in tests for case in test.get("alert_rule_test", [])}
    assert {rule["alert"] for rule in alert_rules()} == tested


def test_rules_name_only_what_the_appserver_exports(exported_metrics):
    found = {rule["alert"]: problems(rule["expr"], exported_metrics) for rule in alert_rules()}
    assert not {alert: issues for alert, issues in found.items() if issues}


def test_every_alert_says_how_bad_and_what_happened():
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_prometheus_config_loads_these_rules_for_the_job_they_watch():
    config_file = RULES_DIR / "prometheus.yml"
    result = subprocess.run([promtool(), "check", "config", str(config_file)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    config = yaml.safe_load(config_file.read_text())
    assert "alerts.yml" in config["rule_files"]
    assert "yelb-appserver" in {job["job_name"] for job in config["scrape_configs"]}
