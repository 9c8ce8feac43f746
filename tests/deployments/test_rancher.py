"""Rancher: the chart's install form (questions.yaml) and the Fleet bundle only
use values the chart knows, and the Rancher 1.6 catalog entry is complete."""

from __future__ import annotations

import json
import re
from pathlib import Path

import helm_python as helm
import pytest
import yaml

from .renders import CHART_DIR, NAMESPACE, PERSISTENCE_UPGRADES, RELEASE, RENDER_AUTH, REPO

RANCHER = REPO / "deployments" / "rancher"
GITREPO = RANCHER / "fleet" / "gitrepo.yaml"
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
    # What an operator must be asked at least: replicas, ingress host, registry, persistence.
    assert {"appserver.replicas", "ingress.host", "image.registry", "db.persistence.enabled"} <= asked


def test_every_question_is_a_chart_value_with_its_default(chart):
    questions = list(flat_questions(load(CHART_DIR / "questions.yaml")["questions"]))
    for question in questions:
        assert question["type"] in QUESTION_TYPES, question["variable"]
        assert lookup(chart.values, question["variable"]) == question["default"], question["variable"]
        if question["type"] == "enum":
            assert question["default"] in question["options"]


def test_form_length_limits_are_the_schemas():
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    limited = [q for q in flat_questions(load(CHART_DIR / "questions.yaml")["questions"]) if "max_length" in q]
    assert limited
    for question in limited:
        node = schema
        for key in question["variable"].split("."):
            node = node["properties"][key]
        assert question["max_length"] == node["maxLength"], question["variable"]


def test_question_answers_pass_the_schema(chart):
    for question in flat_questions(load(CHART_DIR / "questions.yaml")["questions"]):
        for answer in question.get("options", []) + [question.get("max"), question.get("min")]:
            if answer is not None:
                chart.validate_schema(chart.merge_values(nested(question["variable"], answer)))


def test_form_offers_only_storage_changes_an_upgrade_can_take():
    # Each of these is proven an update Kubernetes accepts (test_helm_chart);
    # a new storage question must be added there first.
    asked = {q["variable"].removeprefix("db.persistence.") for q in
             flat_questions(load(CHART_DIR / "questions.yaml")["questions"])
             if q["variable"].startswith("db.persistence.")}
    proven = {key for change in PERSISTENCE_UPGRADES.values() for values in change for key in values}
    assert asked and asked <= proven, asked - proven


def fleet_bundle_dirs() -> list[Path]:
    """The folders Fleet makes bundles of: the GitRepo's paths, in this repository."""
    return [REPO / path for path in load(GITREPO)["spec"]["paths"]]


def fleet_values() -> dict[str, dict]:
    (bundle_dir,) = fleet_bundle_dirs()
    bundle = load(bundle_dir / "fleet.yaml")
    values = {"bundle": bundle["helm"]["values"]}
    for target in bundle["targetCustomizations"]:
        values[target["name"]] = deep_merge(bundle["helm"]["values"], target["helm"]["values"])
    return values


@pytest.mark.parametrize("target", sorted(fleet_values()))
def test_fleet_values_render_the_chart(chart, target):
    values = fleet_values()[target]
    chart.validate_schema(chart.merge_values(values))
    # Fleet's agent installs against its cluster, where the chart keeps a generated
    # password; rendering offline here needs one given.
    assert chart.render(deep_merge(values, {"db": RENDER_AUTH}), name=RELEASE, namespace=NAMESPACE)


def test_fleet_deploys_the_chart_of_the_commit_it_synced():
    # Fleet reads a chart only from inside a bundle's folder, and a chart URL would
    # fetch another revision than the one synced: the bundle folder is the chart.
    (bundle_dir,) = fleet_bundle_dirs()
    assert bundle_dir == CHART_DIR and (bundle_dir / "Chart.yaml").is_file()
    helm_options = load(bundle_dir / "fleet.yaml")["helm"]
    assert not helm_options.get("chart") and not helm_options.get("repo")
    assert helm_options["releaseName"] == RELEASE
    gitrepo = load(GITREPO)["spec"]
    assert gitrepo["repo"].startswith("https://") and gitrepo["branch"] and "revision" not in gitrepo
    targets = {t["name"] for t in gitrepo["targets"]}
    assert targets == {t["name"] for t in load(bundle_dir / "fleet.yaml")["targetCustomizations"]}


def test_fleet_options_stay_out_of_the_packaged_chart(tmp_path):
    with helm.Chart.load(helm.package(CHART_DIR, destination=tmp_path)) as packaged:
        assert "fleet.yaml" not in {f["name"] for f in packaged.files}


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
