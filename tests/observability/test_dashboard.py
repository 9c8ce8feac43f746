"""The Grafana dashboard is well-formed, its queries parse, and they name real metrics."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.observability.promql import check_expressions, problems, promtool

DASHBOARD = Path(__file__).parents[2] / "monitoring" / "grafana" / "dashboards" / "yelb.json"
# Grafana fills these in before the query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__range": "1h", "$instance": ".*"}


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def panels(dashboard: dict) -> list[dict]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def queries(dashboard: dict) -> dict[str, str]:
    found = {}
    for panel in panels(dashboard):
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            found[f"panel_{panel['id']}_{target['refId']}"] = expr
    return found


def test_dashboard_is_importable(dashboard):
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert {"datasource", "instance"} <= variables
    for panel in panels(dashboard):
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]


def test_panels_do_not_overlap(dashboard):
    taken = set()
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                 for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not cells & taken, f"{panel['title']} overlaps another panel"
        taken |= cells


def test_every_query_parses_as_promql(dashboard, tmp_path):
    result = check_expressions(queries(dashboard), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_queries_name_only_what_the_appserver_exports(dashboard, exported_metrics):
    found = {name: problems(expr, exported_metrics) for name, expr in queries(dashboard).items()}
    assert not {name: issues for name, issues in found.items() if issues}


def test_dashboard_covers_what_operators_ask_for(dashboard):
    """Request rate, errors, p99, votes by option and dependency health: what an operator looks at first."""
    text = " ".join(queries(dashboard).values())
    for needed in (r"rate\(yelb_http_requests_total", r'status=~"5\.\."', r"histogram_quantile\(0\.99",
                   r"sum by \(option\) \(rate\(yelb_votes_total", r"yelb_dependency_up",
                   r"yelb_dependency_latency_seconds_bucket", r"yelb_fault_injection_active"):
        assert re.search(needed, text), needed


def test_legends_use_labels_the_query_keeps(dashboard):
    for panel in panels(dashboard):
        for target in panel["targets"]:
            legend_labels = set(re.findall(r"\{\{(\w+)\}\}", target.get("legendFormat", "")))
            by = set(re.findall(r"\w+", " ".join(re.findall(r"by \(([^)]*)\)", target["expr"]))))
            if by and "histogram_quantile" not in target["expr"]:
                assert legend_labels <= by, f"{panel['title']}: legend {legend_labels} not in by {by}"


def as_input_series(metrics_text: str) -> list[dict]:
    """Scraped samples as promtool input series: the same value at every scrape, 15 minutes long."""
    series = []
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            labels = {**sample.labels, "job": "yelb-appserver", "instance": "appserver:4567"}
            selector = ", ".join(f"{name}={json.dumps(value)}" for name, value in labels.items())
            series.append({"series": f"{sample.name}{{{selector}}}", "values": f"{sample.value!r}+0x60"})
    series.append({"series": 'up{job="yelb-appserver", instance="appserver:4567"}', "values": "1+0x60"})
    return series


# Panels that list only what is happening now: empty is their healthy state.
EMPTY_WHEN_HEALTHY = {"panel_21_A"}  # Injected faults by replica (yelb_fault_injection_active > 0)


def test_no_panel_says_no_data_on_a_fresh_start(dashboard, fresh_start_metrics, tmp_path):
    """Every query returns something for a replica that has served nothing yet: no error, no
    vote, no dependency failure. Each query becomes an alert on absent(query) that must not fire."""
    expected = {name: expr for name, expr in queries(dashboard).items()
                if name not in EMPTY_WHEN_HEALTHY}
    names = {name: f"NoData_{name}" for name in expected}
    rules = {"groups": [{"name": "no-data", "rules": [
        {"alert": names[name], "expr": f"absent({expr})"} for name, expr in expected.items()]}]}
    (tmp_path / "no-data.yml").write_text(yaml.safe_dump(rules))
    tests = {"rule_files": ["no-data.yml"], "evaluation_interval": "15s", "tests": [{
        "interval": "15s", "input_series": as_input_series(fresh_start_metrics),
        "alert_rule_test": [{"eval_time": "10m", "alertname": alert, "exp_alerts": []}
                            for alert in names.values()]}]}
    (tmp_path / "no-data.test.yml").write_text(yaml.safe_dump(tests))
    result = subprocess.run([promtool(), "test", "rules", "no-data.test.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
