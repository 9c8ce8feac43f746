"""The Kustomize base, its overlays and components render to what they promise,
and set-registry.sh retargets every image in one command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from yelb_appserver.config import Config

from .formats import ROOM_SETTINGS, kubernetes
from .kustomize_components import component_renders
from .renders import CHART_DIR, KUSTOMIZE_DIR, TEST_REGISTRY, TEST_TAG, kustomize_docs, kustomize_targets, \
    kustomize_text, pod_specs

SET_REGISTRY = KUSTOMIZE_DIR / "set-registry.sh"
PRIVATE_REGISTRY_COMPONENT = Path("components/private-registry/kustomization.yaml")
YELB_TIERS = ("yelb-ui", "yelb-appserver", "yelb-db")


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def containers(docs):
    return [c for _, spec in pod_specs(docs) for c in spec["containers"]]


def images(docs):
    return {c["image"] for c in containers(docs)}


def expected_images(registry: str, tag: str) -> set[str]:
    return {f"{registry}/{tier}:{tag}" for tier in YELB_TIERS} | {f"{registry}/redis:7-alpine"}


def test_all_in_one_file_is_the_base_render():
    committed = (KUSTOMIZE_DIR / "yelb.yaml").read_text()
    assert committed == kustomize_text("base"), "yelb.yaml is stale: run `make render-k8s`"


def test_base_is_the_four_tiers_in_a_restricted_namespace():
    docs = kustomize_docs("base")
    (namespace,) = by_kind(docs, "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert set(by_kind(docs, "Deployment")) == {"yelb-ui", "yelb-appserver", "redis-server"}
    assert set(by_kind(docs, "StatefulSet")) == {"yelb-db"}
    (secret,) = by_kind(docs, "Secret").values()
    refs = {env["valueFrom"]["secretKeyRef"]["name"] for c in containers(docs)
            for env in c.get("env", []) if "secretKeyRef" in env.get("valueFrom", {})}
    assert refs == {secret["metadata"]["name"]}


def test_the_readmes_room_overlay_sets_the_room_and_rolls_the_appservers(tmp_path):
    """The README's overlay, beside a clone as it says, renders the speaker's room; the
    ConfigMap's new name is what makes the appservers roll onto it."""
    readme = (KUSTOMIZE_DIR / "README.md").read_text()
    example = readme.split("cat > my-room/kustomization.yaml <<'YAML'\n", 1)[1].split("    YAML\n", 1)[0]
    (tmp_path / "deployments").symlink_to(KUSTOMIZE_DIR.parent)
    (tmp_path / "my-room").mkdir()
    (tmp_path / "my-room" / "kustomization.yaml").write_text(
        "".join(line.removeprefix("    ") for line in example.splitlines(keepends=True)))
    result = subprocess.run(["kubectl", "kustomize", str(tmp_path / "my-room")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    env = {name: value.literal for name, value in
           kubernetes.from_documents("my-room", docs, "", "").tiers["yelb-appserver"].env.items()}
    config = Config.from_env({name: env[name] for name in ROOM_SETTINGS})
    assert ([o.name for o in config.options], config.question, config.public_url) == (
        ["kubernetes", "nomad", "swarm"], "Which orchestrator runs your next demo?", "https://vote.example.org/")
    (room,) = by_kind(docs, "ConfigMap")
    assert room.startswith("yelb-room-") and room not in by_kind(kustomize_docs("laptop"), "ConfigMap")


def test_base_pulls_the_release_the_chart_ships_if_not_present():
    """Pinned tags pulled only when missing, so kind/minikube/k3d side-loading works."""
    app_version = str(yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())["appVersion"])
    docs = kustomize_docs("base")
    assert images(docs) == expected_images("ghcr.io/yelb-project", app_version)
    assert {c["imagePullPolicy"] for c in containers(docs)} == {"IfNotPresent"}


def test_laptop_overlay_publishes_the_ui_on_a_node_port():
    ui = by_kind(kustomize_docs("laptop"), "Service")["yelb-ui"]
    assert ui["spec"]["type"] == "NodePort" and ui["spec"]["ports"][0]["nodePort"] == 30080


def test_production_overlay_scales_exposes_isolates_and_annotates_for_scrapes():
    docs = kustomize_docs("production")
    ingress = by_kind(docs, "Ingress")["yelb-ui"]["spec"]
    assert ingress["rules"][0]["host"] == ingress["tls"][0]["hosts"][0] == "yelb.prod.example.com"
    assert ingress["tls"][0]["secretName"] == "yelb-prod-tls"
    assert ingress["ingressClassName"] == "nginx"
    appserver = by_kind(docs, "Deployment")["yelb-appserver"]
    assert appserver["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert by_kind(docs, "HorizontalPodAutoscaler")["yelb-appserver"]["spec"]["minReplicas"] == 3
    assert by_kind(docs, "PodDisruptionBudget")["yelb-appserver"]["spec"]["minAvailable"] == 2
    assert "default-deny" in by_kind(docs, "NetworkPolicy")


def test_service_monitor_is_an_opt_in_component():
    renders = component_renders()
    assert "yelb-appserver" in by_kind(renders["kustomize/base+service-monitor"], "ServiceMonitor")
    holding = [name for name, docs in renders.items() if by_kind(docs, "ServiceMonitor")]
    assert holding == ["kustomize/base+service-monitor", "kustomize/base+all-components"]


def test_private_registry_overlay_ships_placeholders():
    assert images(kustomize_docs("private-registry")) == expected_images("registry.example.com/yelb", "1.0.0")


@pytest.fixture
def kustomize_copy(tmp_path):
    """A copy of deployments/kubernetes for set-registry.sh to edit."""
    copy = tmp_path / "kubernetes"
    shutil.copytree(KUSTOMIZE_DIR, copy)
    return copy


def set_registry(copy: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(copy / SET_REGISTRY.name), *args], capture_output=True, text=True,
                          timeout=30, check=False)


def render(path: Path) -> list[dict]:
    result = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.mark.parametrize("registry", [TEST_REGISTRY, "localhost:5000"])
def test_set_registry_retargets_every_image_in_one_command(kustomize_copy, registry):
    result = set_registry(kustomize_copy, registry, TEST_TAG)
    assert result.returncode == 0, result.stderr
    assert images(render(kustomize_copy / "overlays" / "private-registry")) == expected_images(registry, TEST_TAG)


def test_set_registry_writes_the_component_as_shipped_from_its_placeholders(kustomize_copy):
    assert set_registry(kustomize_copy, "registry.example.com/yelb", "1.0.0").returncode == 0
    shipped = (KUSTOMIZE_DIR / PRIVATE_REGISTRY_COMPONENT).read_text()
    assert (kustomize_copy / PRIVATE_REGISTRY_COMPONENT).read_text() == shipped


@pytest.mark.parametrize("registry", ["https://registry.example.test/yelb", "registry.example.test/yelb/"])
def test_set_registry_refuses_a_scheme_or_trailing_slash(kustomize_copy, registry):
    result = set_registry(kustomize_copy, registry, TEST_TAG)
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert f"'{registry}'" in line
    shipped = (KUSTOMIZE_DIR / PRIVATE_REGISTRY_COMPONENT).read_text()
    assert (kustomize_copy / PRIVATE_REGISTRY_COMPONENT).read_text() == shipped


def test_components_drop_the_checkov_skips_they_make_moot():
    renders = {name: kustomize_docs(name) for name in kustomize_targets()} | component_renders()
    for name, docs in renders.items():
        annotations = [k for d in docs for k in d["metadata"].get("annotations", {})]
        has_policies = bool(by_kind(docs, "NetworkPolicy"))
        assert ("checkov.io/skip-networkpolicy" in annotations) != has_policies, name
        # Every tag is pinned, so the "latest tag" check needs no skip anywhere.
        assert "checkov.io/skip-tag" not in annotations, name
