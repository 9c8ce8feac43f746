"""The Grafana dashboard is well-formed, its queries parse, and they name real metrics."""

import json
import re
from pathlib import Path

import pytest

from tests.observability.promql import check_expressions, problems

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
    """Request rate, errors, p99, votes by option and dependency health, as the issue lists."""
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
