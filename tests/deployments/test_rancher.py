"""Rancher: the chart's install form (questions.yaml) and the Fleet bundle only
use values the chart knows, and the Rancher 1.6 catalog entry is complete."""

from __future__ import annotations

import re
from pathlib import Path

import helm_python as helm
import pytest
import yaml

from .renders import CHART_DIR, NAMESPACE, RELEASE, REPO

RANCHER = REPO / "deployments" / "rancher"
CATALOG = RANCHER / "v1.6" / "templates" / "yelb"
QUESTION_TYPES = {"string", "multiline", "boolean", "int", "enum", "password", "storageclass",
                  "hostname", "pvc", "secret"}


@pytest.fixture(scope="module")
def chart():
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


def load(path: Path):
    return yaml.safe_load(path.read_text())


def flat_questions(questions):
    for question in questions:
        yield question
        yield from flat_questions(question.get("subquestions", []))


def lookup(values: dict, dotted: str):
    for key in dotted.split("."):
        values = values[key]
    return values


def nested(dotted: str, value) -> dict:
    for key in reversed(dotted.split(".")):
        value = {key: value}
    return value


def deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        merged[key] = deep_merge(merged[key], value) if isinstance(value, dict) and isinstance(
            merged.get(key), dict) else value
    return merged


def test_chart_carries_rancher_files():
    assert "helm test" in (CHART_DIR / "app-readme.md").read_text()
    asked = {q["variable"] for q in flat_questions(load(CHART_DIR / "questions.yaml")["questions"])}
    # The minimum: replicas, ingress host, registry, persistence.
    assert {"appserver.replicas", "ingress.host", "image.registry", "db.persistence.enabled"} <= asked


def test_every_question_is_a_chart_value_with_its_default(chart):
    questions = list(flat_questions(load(CHART_DIR / "questions.yaml")["questions"]))
    for question in questions:
        assert question["type"] in QUESTION_TYPES, question["variable"]
        assert lookup(chart.values, question["variable"]) == question["default"], question["variable"]
        if question["type"] == "enum":
            assert question["default"] in question["options"]


def test_question_answers_pass_the_schema(chart):
    for question in flat_questions(load(CHART_DIR / "questions.yaml")["questions"]):
        for answer in question.get("options", []) + [question.get("max"), question.get("min")]:
            if answer is not None:
                chart.validate_schema(chart.merge_values(nested(question["variable"], answer)))


def fleet_values() -> dict[str, dict]:
    bundle = load(RANCHER / "fleet" / "fleet.yaml")
    values = {"bundle": bundle["helm"]["values"]}
    for target in bundle["targetCustomizations"]:
        values[target["name"]] = deep_merge(bundle["helm"]["values"], target["helm"]["values"])
    return values


@pytest.mark.parametrize("target", sorted(fleet_values()))
def test_fleet_values_render_the_chart(chart, target):
    values = fleet_values()[target]
    chart.validate_schema(chart.merge_values(values))
    assert chart.render(values, name=RELEASE, namespace=NAMESPACE)


def test_fleet_bundle_points_at_this_chart():
    bundle = load(RANCHER / "fleet" / "fleet.yaml")
    match = re.fullmatch(r"git::https://(.+)\.git//(.+)\?ref=(.+)", bundle["helm"]["chart"])
    assert match and (REPO / match[2]) == CHART_DIR
    gitrepo = load(RANCHER / "fleet" / "gitrepo.yaml")
    assert gitrepo["spec"]["repo"] == f"https://{match[1]}.git" and gitrepo["spec"]["branch"] == match[3]
    assert [(REPO / p) for p in gitrepo["spec"]["paths"]] == [RANCHER / "fleet"]
    targets = {t["name"] for t in gitrepo["spec"]["targets"]}
    assert targets == {t["name"] for t in bundle["targetCustomizations"]}


def test_rancher_v1_catalog_entry_is_complete():
    config = load(CATALOG / "config.yml")
    assert {"name", "description", "version", "category"} <= set(config)
    icons = list(CATALOG.glob("catalogIcon-*"))
    assert len(icons) == 1 and icons[0].read_text().lstrip().startswith("<svg")
    rancher = load(CATALOG / "0" / "rancher-compose.yml")
    assert rancher["catalog"]["version"] == config["version"]
    compose_text = (CATALOG / "0" / "docker-compose.yml").read_text()
    compose = yaml.safe_load(compose_text)
    assert set(rancher["services"]) == set(compose["services"])
    for name, service in rancher["services"].items():
        assert "scale" in service and "port" in service["health_check"], name


def test_rancher_v1_questions_match_the_variables_used():
    rancher_text = (CATALOG / "0" / "rancher-compose.yml").read_text()
    compose_text = (CATALOG / "0" / "docker-compose.yml").read_text()
    questions = {q["variable"] for q in yaml.safe_load(rancher_text)["catalog"]["questions"]}
    # "$${...}" is Rancher's escape for its own scheduling macros, not a question.
    used = set(re.findall(r"(?<!\$)\$\{(\w+)\}", compose_text + rancher_text))
    assert used == questions
