"""The Helm chart lints, renders every value set, rejects bad values with a clear
message, and its `helm test` pod really checks that a vote is counted."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import helm_python as helm
import jsonschema
import pytest
import yaml

from .renders import (CHART_DIR, HELM_VALUE_SETS, NAMESPACE, RELEASE, TEST_REGISTRY, TEST_TAG,
                      helm_docs, helm_manifests, pod_specs)


@pytest.fixture(scope="module")
def chart():
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.mark.parametrize("value_set", sorted(HELM_VALUE_SETS))
def test_chart_lints_clean(value_set):
    report = helm.lint(CHART_DIR, HELM_VALUE_SETS[value_set], strict=True, namespace=NAMESPACE,
                       kube_version="v1.25.0")
    assert report["errors"] == [] and report["messages"] == [], report


def test_schema_is_a_valid_draft7_schema_covering_every_default(chart):
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    assert set(schema["properties"]) == set(chart.values)


@pytest.mark.parametrize("value_set", sorted(HELM_VALUE_SETS))
def test_value_sets_satisfy_the_schema(chart, value_set):
    chart.validate_schema(chart.merge_values(HELM_VALUE_SETS[value_set]))


@pytest.mark.parametrize(("values", "message"), [
    ({"appserver": {"replicas": 0}}, "/appserver/replicas': minimum: got 0, want 1"),
    ({"appserver": {"replicas": "3"}}, "/appserver/replicas"),
    ({"image": {"registry": "https://registry.example.com/"}}, "/image/registry"),
    ({"image": {"tag": "has space"}}, "/image/tag"),
    ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ({"ingress": {"host": "Not A Host"}}, "/ingress/host"),
    ({"db": {"persistence": {"size": "plenty"}}}, "/db/persistence/size"),
    ({"ui": {"service": {"type": "NodePort", "nodePort": 80}}}, "/ui/service/nodePort"),
    ({"autoscaling": {"targetCPUUtilizationPercentage": 150}}, "/autoscaling/targetCPUUtilizationPercentage"),
    ({"replicaCount": 3}, "additional properties 'replicaCount' not allowed"),
    ({"appserver": {"options": "Kubernetes,nomad"}}, "/appserver/options"),
    ({"image": {"pullPolicy": "IfNotPresent"}}, "/image/pullPolicy': value must be 'Always'"),
])
def test_schema_rejects_bad_values_naming_the_key(chart, values, message):
    with pytest.raises(helm.HelmValuesError) as error:
        chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert message in str(error.value)


@pytest.mark.parametrize(("values", "message"), [
    ({"autoscaling": {"enabled": True, "minReplicas": 5, "maxReplicas": 3}},
     "autoscaling.minReplicas (5) must not exceed autoscaling.maxReplicas (3)"),
    ({"podDisruptionBudget": {"enabled": True, "minAvailable": 2}},
     "podDisruptionBudget.minAvailable (2) must be below the appserver replicas (1)"),
])
def test_impossible_combinations_fail_with_one_line(chart, values, message):
    with pytest.raises(helm.HelmError) as error:
        chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert message in str(error.value)


def test_one_registry_and_tag_knob_moves_every_image():
    found = {c["image"] for _, spec in pod_specs(helm_docs("private-registry")) for c in spec["containers"]}
    assert found == {f"{TEST_REGISTRY}/yelb-ui:{TEST_TAG}", f"{TEST_REGISTRY}/yelb-appserver:{TEST_TAG}",
                     f"{TEST_REGISTRY}/yelb-db:{TEST_TAG}", f"{TEST_REGISTRY}/redis:7-alpine"}
    for _, spec in pod_specs(helm_docs("private-registry")):
        assert spec["imagePullSecrets"] == [{"name": "regcred"}]


def test_scale_out_adds_autoscaler_budget_ingress_policies_and_monitor():
    docs = helm_docs("scale-out-ingress-tls")
    appserver = by_kind(docs, "Deployment")["yelb-appserver"]["spec"]
    assert "replicas" not in appserver  # the autoscaler owns it
    assert appserver["template"]["spec"]["topologySpreadConstraints"]
    assert by_kind(docs, "HorizontalPodAutoscaler")["yelb-appserver"]["spec"]["maxReplicas"] == 8
    assert by_kind(docs, "PodDisruptionBudget")["yelb-appserver"]["spec"]["minAvailable"] == 2
    ingress = by_kind(docs, "Ingress")["yelb-ui"]["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"hosts": ["yelb.example.test"], "secretName": "yelb-example-tls"}]
    assert {"yelb-default-deny", "yelb-ui", "yelb-appserver", "yelb-db", "redis-server", "yelb-test"} == set(
        by_kind(docs, "NetworkPolicy"))
    assert "yelb-appserver" in by_kind(docs, "ServiceMonitor")
    notes = helm_manifests("scale-out-ingress-tls")["yelb/templates/NOTES.txt"]
    assert "https://yelb.example.test/" in notes


def test_defaults_keep_votes_on_a_claim_with_a_generated_password():
    docs = helm_docs("defaults")
    db = by_kind(docs, "StatefulSet")["yelb-db"]["spec"]
    assert db["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "1Gi"
    password = base64.b64decode(by_kind(docs, "Secret")["yelb-db-credentials"]["data"]["password"]).decode()
    assert len(password) == 24 and password != "postgres_password"
    assert "port-forward service/yelb-ui 8080:80" in helm_manifests("defaults")["yelb/templates/NOTES.txt"]


def test_explicit_password_is_used(chart):
    rendered = chart.render({"db": {"auth": {"password": "s3cret"}}}, name=RELEASE, namespace=NAMESPACE)
    secret = yaml.safe_load(rendered["yelb/templates/secret.yaml"])
    assert base64.b64decode(secret["data"]["password"]) == b"s3cret"


def test_persistence_off_uses_scratch_space_and_says_so():
    db = by_kind(helm_docs("persistence-off"), "StatefulSet")["yelb-db"]["spec"]
    assert "volumeClaimTemplates" not in db
    assert {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}} in db["template"]["spec"]["volumes"]
    notes = helm_manifests("persistence-off")["yelb/templates/NOTES.txt"]
    assert "votes are lost" in notes and "NODE_PORT=" in notes


def test_existing_secret_and_claim_are_referenced_not_created():
    docs = helm_docs("existing-secret-and-claim")
    assert not by_kind(docs, "Secret")
    db = by_kind(docs, "StatefulSet")["yelb-db"]["spec"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "yelb-db-data"}} in db["template"]["spec"]["volumes"]
    refs = {env["valueFrom"]["secretKeyRef"]["name"] + "/" + env["valueFrom"]["secretKeyRef"]["key"]
            for _, spec in pod_specs(docs) for c in spec["containers"] for env in c.get("env", []) if "valueFrom" in env}
    assert refs == {"my-db-secret/pg-password"}


def vote_check_command() -> list[str]:
    (pod,) = [d for d in helm_docs("defaults") if d["kind"] == "Pod"]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    command = pod["spec"]["containers"][0]["command"]
    assert command[:2] == ["python3", "-c"]
    assert command[2] == (CHART_DIR / "files" / "vote_check.py").read_text()
    return [sys.executable, "-c", command[2]]


def test_helm_test_pod_passes_against_a_real_appserver(appserver_factory, postgres, redis_server, database_name):
    # The in-cluster wiring: gunicorn, votes in PostgreSQL, page views in Redis.
    server = appserver_factory({**postgres.env(database_name), **redis_server.env()})
    result = subprocess.run(vote_check_command(), env={"YELB_APPSERVER_URL": server.url},
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "-> vote answered 1 -> 1" in result.stdout
    assert postgres.counts(database_name)["outback"] == 1


def test_helm_test_pod_fails_when_the_appserver_is_unreachable():
    result = subprocess.run(vote_check_command(), env={"YELB_APPSERVER_URL": "http://127.0.0.1:9"},
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0 and "Connection refused" in result.stderr


def test_packaged_chart_carries_the_test_script_and_rancher_files(tmp_path):
    archive = helm.package(CHART_DIR, destination=tmp_path)
    with helm.Chart.load(archive) as packaged:
        files = {f["name"] for f in packaged.files}
        assert {"files/vote_check.py", "questions.yaml", "app-readme.md"} <= files
        pod = yaml.safe_load(packaged.render({}, name=RELEASE, namespace=NAMESPACE)["yelb/templates/tests/test-vote.yaml"])
    assert pod["spec"]["containers"][0]["command"][2] == (CHART_DIR / "files" / "vote_check.py").read_text()


def test_options_reach_the_appserver_only_when_set():
    from yelb_appserver.config import Config

    def appserver_env(value_set):
        (deployment,) = [doc for doc in helm_docs(value_set) if doc["kind"] == "Deployment"
                         and doc["metadata"]["name"].endswith("yelb-appserver")]
        return {item["name"]: item.get("value") for item in
                deployment["spec"]["template"]["spec"]["containers"][0]["env"]}

    assert "YELB_OPTIONS" not in appserver_env("defaults")
    options = appserver_env("scale-out-ingress-tls")["YELB_OPTIONS"]
    assert [option.name for option in Config.from_env({"YELB_OPTIONS": options}).options] == [
        "kubernetes", "nomad"]
