"""The Helm chart lints, renders every value set, rejects bad values with a clear
message, installs beside another release and under a parent chart or Rancher,
upgrades its storage within what Kubernetes accepts, and its `helm test` pod
really checks that a vote cast through the UI is counted."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import helm_python as helm
import jsonschema
import pytest
import yaml

from stack.nginx import NginxFront
from yelb_appserver.config import Config, ConfigError

from .renders import (CHART_DIR, HELM_VALUE_SETS, NAMESPACE, PERSISTENCE_UPGRADES, RELEASE, RENDER_AUTH,
                      TEST_REGISTRY, TEST_TAG, helm_docs, helm_manifests, pod_specs)

APP_VERSION = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["appVersion"]
# What Rancher 2 adds to the values of every chart it installs.
RANCHER_GLOBALS = {"global": {"cattle": {
    "clusterId": "c-m-8x2vq", "clusterName": "lab", "systemDefaultRegistry": "", "rkePathPrefix": "",
    "rkeWindowsPathPrefix": "", "systemProjectId": "p-7k2lw", "url": "https://rancher.example.test"},
    "systemDefaultRegistry": ""}}


@pytest.fixture(scope="module")
def chart():
    with helm.Chart.load(CHART_DIR) as loaded:
        yield loaded


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def render_docs(chart, values: dict, release: str = RELEASE) -> list[dict]:
    rendered = chart.render(values, name=release, namespace=NAMESPACE, is_install=True)
    return [doc for path, text in rendered.items() if path.endswith(".yaml")
            for doc in yaml.safe_load_all(text) if doc]


@pytest.mark.parametrize("value_set", sorted(HELM_VALUE_SETS))
def test_chart_lints_clean(value_set):
    report = helm.lint(CHART_DIR, HELM_VALUE_SETS[value_set], strict=True, namespace=NAMESPACE,
                       kube_version="v1.25.0")
    assert report["errors"] == [] and report["messages"] == [], report


def test_schema_is_a_valid_draft7_schema_covering_every_default(chart):
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    # "global" is Helm's, not a default of this chart: see the Rancher and subchart tests.
    assert set(schema["properties"]) - {"global"} == set(chart.values)


@pytest.mark.parametrize("value_set", sorted(HELM_VALUE_SETS))
def test_value_sets_satisfy_the_schema(chart, value_set):
    chart.validate_schema(chart.merge_values(HELM_VALUE_SETS[value_set]))


@pytest.mark.parametrize(("values", "message"), [
    ({"appserver": {"replicas": 0}}, "/appserver/replicas': minimum: got 0, want 1"),
    ({"appserver": {"replicas": "3"}}, "/appserver/replicas"),
    ({"image": {"registry": "https://registry.example.com/yelb"}},
     "/image/registry': 'https://registry.example.com/yelb' does not match"),
    ({"image": {"registry": "registry.example.com/yelb/"}},
     "/image/registry': 'registry.example.com/yelb/' does not match"),
    ({"image": {"registry": ""}}, "/image/registry': '' does not match"),
    ({"image": {"tag": "has space"}}, "/image/tag"),
    ({"image": {"pullPolicy": "Sometimes"}}, "/image/pullPolicy"),
    ({"ingress": {"host": "Not A Host"}}, "/ingress/host"),
    ({"db": {"persistence": {"size": "plenty"}}}, "/db/persistence/size"),
    ({"ui": {"service": {"type": "NodePort", "nodePort": 80}}}, "/ui/service/nodePort"),
    ({"autoscaling": {"targetCPUUtilizationPercentage": 150}}, "/autoscaling/targetCPUUtilizationPercentage"),
    ({"replicaCount": 3}, "additional properties 'replicaCount' not allowed"),
    ({"appserver": {"options": "Kubernetes,nomad"}}, "/appserver/options"),
    ({"image": {"tag": "latest"}}, "/image/pullPolicy': value must be 'Always'"),
    ({"global": "not-an-object"}, "/global"),
    ({"appserver": {"faultInjection": True}}, "/appserver/faultToken"),
    ({"appserver": {"faultInjection": True, "faultToken": "short"}}, "/appserver/faultToken"),
    ({"appserver": {"version": "2.0 beta"}}, "/appserver/version"),
    ({"appserver": {"version": "v" * 65}}, "/appserver/version"),
    ({"appserver": {"color": "red; background: url(x)"}}, "/appserver/color"),
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
        chart.render({**values, "db": RENDER_AUTH}, name=RELEASE, namespace=NAMESPACE)
    assert message in str(error.value)


def test_a_release_name_too_long_for_the_statefulset_fails_naming_it(chart):
    with pytest.raises(helm.HelmRenderError, match=f'release name "{"r" * 45}" is too long'):
        chart.render({"db": RENDER_AUTH}, name="r" * 45, namespace=NAMESPACE)
    assert render_docs(chart, {"db": RENDER_AUTH}, release="r" * 44)


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


def test_default_images_are_the_released_version_from_the_project_registry():
    images = {c["image"]: c["imagePullPolicy"] for _, spec in pod_specs(helm_docs("defaults"))
              for c in spec["containers"]}
    registry = "ghcr.io/yelb-project"
    assert images == {f"{registry}/yelb-ui:{APP_VERSION}": "IfNotPresent",
                      f"{registry}/yelb-appserver:{APP_VERSION}": "IfNotPresent",
                      f"{registry}/yelb-db:{APP_VERSION}": "IfNotPresent",
                      f"{registry}/redis:7-alpine": "IfNotPresent"}
    annotations = {key for doc in helm_docs("defaults") for key in doc["metadata"].get("annotations", {})}
    assert "checkov.io/skip-tag" not in annotations


def test_defaults_keep_votes_on_a_kept_claim_and_the_password_in_a_secret():
    docs = helm_docs("defaults")
    claim = by_kind(docs, "PersistentVolumeClaim")["yelb-db-data"]
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi" and "storageClassName" not in claim["spec"]
    db = by_kind(docs, "StatefulSet")["yelb-db"]["spec"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "yelb-db-data"}} in db["template"]["spec"]["volumes"]
    password = base64.b64decode(by_kind(docs, "Secret")["yelb-db-credentials"]["data"]["password"]).decode()
    assert password == RENDER_AUTH["auth"]["password"]
    assert "port-forward service/yelb-ui 8080:80" in helm_manifests("defaults")["yelb/templates/NOTES.txt"]


def test_without_a_cluster_an_empty_password_fails_naming_the_fix(chart):
    # Offline, as under `helm template` or Argo CD, a generated password would
    # change on every render and lock the appserver out of the existing database.
    with pytest.raises(helm.HelmRenderError) as error:
        chart.render({}, name=RELEASE, namespace=NAMESPACE, is_install=True)
    (line,) = [line for line in str(error.value).splitlines() if "db.auth.password" in line]
    assert "set db.auth.password or db.auth.existingSecret" in line
    assert render_docs(chart, {"db": {"auth": {"existingSecret": "mine"}}})


def test_storage_class_names_its_own_claim(chart):
    docs = render_docs(chart, {"db": {"persistence": {"storageClass": "fast-ssd", "size": "5Gi"}, **RENDER_AUTH}})
    (pvc,) = by_kind(docs, "PersistentVolumeClaim").values()
    assert pvc["metadata"]["name"] == "yelb-db-data-fast-ssd"
    assert pvc["spec"]["storageClassName"] == "fast-ssd" and pvc["spec"]["resources"]["requests"]["storage"] == "5Gi"


def test_persistence_off_uses_scratch_space_and_says_so():
    docs = helm_docs("persistence-off")
    db = by_kind(docs, "StatefulSet")["yelb-db"]["spec"]
    assert "volumeClaimTemplates" not in db and not by_kind(docs, "PersistentVolumeClaim")
    assert {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}} in db["template"]["spec"]["volumes"]
    notes = helm_manifests("persistence-off")["yelb/templates/NOTES.txt"]
    assert "votes are lost" in notes and "NODE_PORT=" in notes


def test_existing_secret_and_claim_are_referenced_not_created():
    docs = helm_docs("existing-secret-and-claim")
    assert not by_kind(docs, "Secret") and not by_kind(docs, "PersistentVolumeClaim")
    db = by_kind(docs, "StatefulSet")["yelb-db"]["spec"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "yelb-db-data"}} in db["template"]["spec"]["volumes"]
    refs = {env["valueFrom"]["secretKeyRef"]["name"] + "/" + env["valueFrom"]["secretKeyRef"]["key"]
            for _, spec in pod_specs(docs) for c in spec["containers"] for env in c.get("env", [])
            if "secretKeyRef" in env.get("valueFrom", {})}
    assert refs == {"my-db-secret/pg-password"}


def helm_test_pod(docs: list[dict]) -> dict:
    (pod,) = [d for d in docs if d["kind"] == "Pod"]
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    return pod


def vote_check_command() -> list[str]:
    command = helm_test_pod(helm_docs("defaults"))["spec"]["containers"][0]["command"]
    assert command[:2] == ["python3", "-c"]
    assert command[2] == (CHART_DIR / "files" / "vote_check.py").read_text()
    return [sys.executable, "-c", command[2]]


@pytest.mark.parametrize(("release", "port"), [(RELEASE, 80), ("demo", 8081)])
def test_helm_test_pod_votes_through_its_own_releases_ui_service(chart, release, port):
    docs = render_docs(chart, {"db": RENDER_AUTH, "ui": {"service": {"port": port}}}, release=release)
    (container,) = helm_test_pod(docs)["spec"]["containers"]
    env = {item["name"]: item["value"] for item in container["env"]}
    ui = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service" and
          d["metadata"]["labels"]["app.kubernetes.io/name"] == "yelb-ui"}
    (name,) = ui
    assert env == {"YELB_UI_URL": f"http://{name}:{port}"}
    assert [p["port"] for p in ui[name]["spec"]["ports"]] == [port]


@pytest.fixture
def appserver_url(appserver_factory, postgres, redis_server, database_name):
    # The in-cluster wiring: gunicorn, votes in PostgreSQL, page views in Redis.
    return appserver_factory({**postgres.env(database_name), **redis_server.env()}).url


def run_vote_check(ui_front: NginxFront) -> subprocess.CompletedProcess:
    return subprocess.run(vote_check_command(), env={"YELB_UI_URL": ui_front.url},
                          capture_output=True, text=True, timeout=30, check=False)


def test_helm_test_pod_votes_through_the_real_ui_front(appserver_url, tmp_path, postgres, database_name):
    front = NginxFront(appserver_url, base_dir=tmp_path / "front").start()
    try:
        result = run_vote_check(front)
    finally:
        front.destroy()
    assert result.returncode == 0, result.stderr
    assert "outback: 0 -> vote answered 1 -> read back 1" in result.stdout
    assert postgres.counts(database_name)["outback"] == 1


def test_helm_test_pod_fails_when_the_ui_cannot_reach_the_appserver(tmp_path):
    # The page loads but every /api call fails: the breakage a user sees.
    front = NginxFront("http://127.0.0.1:9", base_dir=tmp_path / "front").start()
    try:
        result = run_vote_check(front)
    finally:
        front.destroy()
    assert result.returncode != 0 and "HTTP Error 50" in result.stderr


def test_packaged_chart_carries_the_test_script_and_rancher_files(tmp_path):
    archive = helm.package(CHART_DIR, destination=tmp_path)
    with helm.Chart.load(archive) as packaged:
        files = {f["name"] for f in packaged.files}
        assert {"files/vote_check.py", "questions.yaml", "app-readme.md"} <= files
        rendered = packaged.render({"db": RENDER_AUTH}, name=RELEASE, namespace=NAMESPACE)
        pod = yaml.safe_load(rendered["yelb/templates/tests/test-vote.yaml"])
    assert pod["spec"]["containers"][0]["command"][2] == (CHART_DIR / "files" / "vote_check.py").read_text()


# The room a speaker sets up: chart value -> the appserver setting it becomes.
ROOM_VALUES = {"options": "YELB_OPTIONS", "question": "YELB_QUESTION", "publicUrl": "YELB_PUBLIC_URL"}


def appserver_env(docs: list[dict]) -> dict[str, str | None]:
    (deployment,) = [doc for doc in docs if doc["kind"] == "Deployment"
                     and doc["metadata"]["name"].endswith("yelb-appserver")]
    return {item["name"]: item.get("value") for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_the_room_reaches_the_appserver_only_when_set(chart):
    """Empty values are left out, so the appserver keeps its own question and options."""
    defaults = appserver_env(render_docs(chart, {"db": RENDER_AUTH}))
    assert not set(ROOM_VALUES.values()) & set(defaults)
    room = {"options": "kubernetes=Kubernetes|Pods everywhere,nomad=Nomad",
            "question": "Which orchestrator runs your next demo?", "publicUrl": "https://vote.example.org/room-4"}
    env = appserver_env(render_docs(chart, {"db": RENDER_AUTH, "appserver": room}))
    config = Config.from_env({name: env[name] for name in ROOM_VALUES.values()})
    assert [option.name for option in config.options] == ["kubernetes", "nomad"]
    assert (config.question, config.public_url) == (room["question"], room["publicUrl"])


# Question and public URL: the schema's limits are the appserver's.
ROOM_ANSWERS = [
    ("question", "Which of these " + "really " * 20 + "matters?", False),
    ("question", "   ", False),
    ("question", "Q" * 120, True),
    ("question", "Tabs or spaces? (Be honest.)", True),
    ("publicUrl", "vote.example.org", False),
    ("publicUrl", "javascript:alert(1)", False),
    ("publicUrl", "https://", False),
    ("publicUrl", "https://vote.example.org/room 4", False),
    ("publicUrl", "https://vote.example.org/" + "r" * 200, False),
    ("publicUrl", "http://192.168.1.20:8080/", True),
    ("publicUrl", "https://vote.example.org/room-4?from=qr#top", True),
]


@pytest.mark.parametrize(("key", "answer", "accepted"), ROOM_ANSWERS)
def test_the_schema_refuses_what_the_appserver_refuses(chart, key, answer, accepted):
    values = {"db": RENDER_AUTH, "appserver": {key: answer}}
    try:
        Config.from_env({ROOM_VALUES[key]: answer})
        started = True
    except ConfigError:
        started = False
    assert started is accepted, "the appserver's limits changed: update this table"
    if accepted:
        assert appserver_env(render_docs(chart, values))[ROOM_VALUES[key]] == answer
    else:
        with pytest.raises(helm.HelmValuesError, match=f"/appserver/{key}"):
            chart.render(values, name=RELEASE, namespace=NAMESPACE)


def test_release_and_colour_follow_the_tag_unless_set(chart):
    def release_env(values):
        env = appserver_env(render_docs(chart, values))
        return env.get("YELB_VERSION"), env.get("YELB_COLOR")

    assert release_env({"db": {"auth": {"password": "p"}}}) == (str(chart.metadata["appVersion"]), None)
    assert release_env({"db": {"auth": {"password": "p"}}, "image": {"tag": "1.2.0"}}) == ("1.2.0", None)
    assert release_env({"db": {"auth": {"password": "p"}}, "image": {"tag": "1.2.0"},
                        "appserver": {"version": "1.2.0-canary", "color": "teal"}}) == ("1.2.0-canary", "teal")


def test_rancher_injected_globals_pass_the_schema_and_render(chart):
    values = {**RANCHER_GLOBALS, "db": RENDER_AUTH}
    chart.validate_schema(chart.merge_values(values))
    assert by_kind(render_docs(chart, values), "Deployment")
    report = helm.lint(CHART_DIR, values, strict=True, namespace=NAMESPACE, kube_version="v1.25.0")
    assert report["errors"] == [] and report["messages"] == [], report


def test_chart_installs_as_a_subchart_of_a_parent_chart(tmp_path):
    parent = tmp_path / "platform"
    (parent / "templates").mkdir(parents=True)
    (parent / "Chart.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v2", "name": "platform", "version": "0.1.0",
        "dependencies": [{"name": "yelb", "version": yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())[
            "version"], "repository": f"file://{CHART_DIR}"}]}))
    # The parent's own values, a global it shares with every subchart, and values for this chart.
    (parent / "values.yaml").write_text(yaml.safe_dump({
        "global": {"environment": "lab"},
        "yelb": {"appserver": {"replicas": 2}, "db": RENDER_AUTH}}))
    helm.dependency_update(parent)
    with helm.Chart.load(parent) as platform:
        rendered = platform.render(RANCHER_GLOBALS, name="platform", namespace=NAMESPACE, is_install=True)
    docs = [doc for path, text in rendered.items() if path.endswith(".yaml") for doc in yaml.safe_load_all(text) if doc]
    assert by_kind(docs, "Deployment")["platform-yelb-appserver"]["spec"]["replicas"] == 2


def release_objects(docs: list[dict]) -> set[tuple[str, str]]:
    return {(doc["kind"], doc["metadata"]["name"]) for doc in docs}


def names_pointed_at(docs: list[dict]) -> set[tuple[str, str]]:
    """(kind, name) of every object the release's objects refer to by name."""
    found = set()
    for doc, spec in pod_specs(docs):
        for container in spec["containers"]:
            for env in container.get("env", []):
                if "secretKeyRef" in env.get("valueFrom", {}):
                    found.add(("Secret", env["valueFrom"]["secretKeyRef"]["name"]))
                elif env["name"] in ("YELB_DB_SERVER_ENDPOINT", "REDIS_SERVER_ENDPOINT"):
                    found.add(("Service", env["value"]))
                elif env["name"] in ("YELB_APPSERVER_ENDPOINT", "YELB_UI_URL"):
                    found.add(("Service", env["value"].split("//")[1].split(":")[0]))
        found |= {("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"])
                  for v in spec.get("volumes", []) if "persistentVolumeClaim" in v}
        if doc["kind"] == "StatefulSet":
            found.add(("Service", doc["spec"]["serviceName"]))
    for doc in docs:
        if doc["kind"] == "HorizontalPodAutoscaler":
            target = doc["spec"]["scaleTargetRef"]
            found.add((target["kind"], target["name"]))
        elif doc["kind"] == "Ingress":
            for rule in doc["spec"]["rules"]:
                found |= {("Service", path["backend"]["service"]["name"]) for path in rule["http"]["paths"]}
    return found


def selected_pods(docs: list[dict], selector: dict) -> list[str]:
    return [doc["metadata"]["name"] for doc, _ in pod_specs(docs)
            if selector.items() <= (doc if doc["kind"] == "Pod" else doc["spec"]["template"])["metadata"]["labels"].items()]


def test_two_releases_share_a_namespace_without_colliding(chart):
    values = HELM_VALUE_SETS["scale-out-ingress-tls"]
    releases = {name: render_docs(chart, values, release=name) for name in (RELEASE, "demo")}
    # The release "yelb" keeps the original names; any other is prefixed with its own.
    assert {("Service", n) for n in ("yelb-ui", "yelb-appserver", "yelb-db", "redis-server")} | {
        ("Secret", "yelb-db-credentials")} <= release_objects(releases[RELEASE])
    assert ("Service", "demo-yelb-ui") in release_objects(releases["demo"])
    assert not release_objects(releases[RELEASE]) & release_objects(releases["demo"])
    for name, docs in releases.items():
        pointed = names_pointed_at(docs)
        assert {kind for kind, _ in pointed} >= {"Service", "Secret", "PersistentVolumeClaim", "Deployment"}
        assert pointed <= release_objects(docs), f"{name}: {pointed - release_objects(docs)}"
        # Selectors (Services, NetworkPolicies, PDB) pick only this release's pods.
        own_pods = {doc["metadata"]["name"] for doc, _ in pod_specs(docs)}
        selectors = [d["spec"]["selector"] for d in docs if d["kind"] == "Service"]
        selectors += [d["spec"]["podSelector"]["matchLabels"] for d in docs if d["kind"] == "NetworkPolicy"]
        selectors += [d["spec"]["selector"]["matchLabels"] for d in docs if d["kind"] == "PodDisruptionBudget"]
        other = next(docs for other_name, docs in releases.items() if other_name != name)
        for selector in selectors:
            assert set(selected_pods(docs, selector)) <= own_pods and selected_pods(docs, selector)
            assert not selected_pods(other, selector), selector


def test_statefulset_is_governed_by_a_headless_service():
    docs = helm_docs("defaults")
    db = by_kind(docs, "StatefulSet")["yelb-db"]
    services = by_kind(docs, "Service")
    assert services[db["spec"]["serviceName"]]["spec"]["clusterIP"] == "None"
    # The appserver keeps a ClusterIP Service to connect to.
    assert "clusterIP" not in services["yelb-db"]["spec"]


def test_network_policies_allow_dns_whatever_the_dns_pods_are_labelled():
    for policy in by_kind(helm_docs("scale-out-ingress-tls"), "NetworkPolicy").values():
        if not policy["spec"].get("egress"):
            continue
        dns = [rule for rule in policy["spec"]["egress"] if {"port": 53, "protocol": "UDP"} in rule["ports"]]
        assert dns == [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}], policy


def test_helm_test_pod_may_reach_the_ui_and_only_the_ui():
    policies = by_kind(helm_docs("scale-out-ingress-tls"), "NetworkPolicy")
    test_egress = [rule for rule in policies["yelb-test"]["spec"]["egress"] if "to" in rule]
    assert [(r["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"], r["ports"][0]["port"])
            for r in test_egress] == [("yelb-ui", 8080)]
    appserver_from = policies["yelb-appserver"]["spec"]["ingress"][0]["from"]
    assert [f["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for f in appserver_from if "podSelector" in f] == [
        "yelb-ui"]


@pytest.mark.parametrize("class_name", ["nginx", ""])
def test_ingress_class_is_set_when_given_and_left_to_the_cluster_default_when_empty(chart, class_name):
    values = {"db": RENDER_AUTH, "ingress": {"enabled": True, "className": class_name}}
    ingress = by_kind(render_docs(chart, values), "Ingress")["yelb-ui"]["spec"]
    assert ingress.get("ingressClassName") == (class_name or None)


# What Kubernetes lets an update change (apps/v1 and core/v1 update validation);
# everything else in these specs is immutable and the API server refuses the patch.
STATEFULSET_MUTABLE_SPEC = {"replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy",
                            "minReadySeconds", "ordinals"}
BINARY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def storage_bytes(quantity: str) -> float:
    unit = quantity[-2:]
    return float(quantity[:-2]) * BINARY_UNITS[unit] if unit in BINARY_UNITS else float(quantity)


def refused_changes(old_docs: list[dict], new_docs: list[dict]) -> list[str]:
    """Updates of objects present in both renders that Kubernetes would refuse."""
    old = {(d["kind"], d["metadata"]["name"]): d for d in old_docs}
    refused = []
    for doc in new_docs:
        key = (doc["kind"], doc["metadata"]["name"])
        if key not in old:
            continue
        before, after = old[key].get("spec", {}), doc.get("spec", {})
        if doc["kind"] == "StatefulSet":
            refused += [f"{key}: spec.{field}" for field in set(before) | set(after)
                        if field not in STATEFULSET_MUTABLE_SPEC and before.get(field) != after.get(field)]
        elif doc["kind"] in ("Deployment", "PodDisruptionBudget") and before["selector"] != after["selector"]:
            refused.append(f"{key}: spec.selector")
        elif doc["kind"] == "Service" and before.get("clusterIP") != after.get("clusterIP"):
            refused.append(f"{key}: spec.clusterIP")
        elif doc["kind"] == "PersistentVolumeClaim":
            size_before, size_after = (s["resources"]["requests"]["storage"] for s in (before, after))
            if storage_bytes(size_after) < storage_bytes(size_before):
                refused.append(f"{key}: storage shrinks from {size_before} to {size_after}")
            rest = [{k: v for k, v in s.items() if k != "resources"} for s in (before, after)]
            if rest[0] != rest[1]:
                refused.append(f"{key}: spec other than the storage request")
    return refused


@pytest.mark.parametrize("change", sorted(PERSISTENCE_UPGRADES))
def test_every_persistence_change_is_an_upgrade_kubernetes_accepts(chart, change):
    old, new = ({"db": {"persistence": p, **RENDER_AUTH}} for p in PERSISTENCE_UPGRADES[change])
    old_docs, new_docs = render_docs(chart, old), render_docs(chart, new)
    assert old_docs != new_docs
    assert refused_changes(old_docs, new_docs) == []


def test_shrinking_the_volume_is_refused_as_kubernetes_would(chart):
    old, new = ({"db": {"persistence": {"size": size}, **RENDER_AUTH}} for size in ("2Gi", "1Gi"))
    assert refused_changes(render_docs(chart, old), render_docs(chart, new)) == [
        "('PersistentVolumeClaim', 'yelb-db-data'): storage shrinks from 2Gi to 1Gi"]


def test_fault_injection_comes_with_its_token_from_a_secret(chart):
    """The appserver refuses to start with fault injection on and no token."""
    token = "a-demo-fault-token-0123"
    docs = render_docs(chart, {"db": RENDER_AUTH, "appserver": {"faultInjection": True, "faultToken": token}})
    (container,) = by_kind(docs, "Deployment")["yelb-appserver"]["spec"]["template"]["spec"]["containers"]
    env = {entry["name"]: entry for entry in container["env"]}
    reference = env["YELB_FAULT_TOKEN"]["valueFrom"]["secretKeyRef"]
    secret = by_kind(docs, "Secret")[reference["name"]]
    assert base64.b64decode(secret["data"][reference["key"]]).decode() == token
    assert env["YELB_FAULT_INJECTION"]["value"] == "true"
    assert "yelb-fault-token" not in by_kind(render_docs(chart, {"db": RENDER_AUTH}), "Secret")
