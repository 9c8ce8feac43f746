"""Every rendered document is valid, strictly (no unknown fields), against the
oldest and the newest Kubernetes version kubernetes-validate ships: the base,
every overlay, the base with each component alone and with all of them, and the
Helm chart's value sets. Only a render that asks for an optional custom resource
may hold one; everything else applies on a vanilla cluster (built-in kinds)."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest

from .kustomize_components import COMBINATIONS, component_renders
from .renders import HELM_VALUE_SETS, all_renders

# The one optional custom resource (it needs the Prometheus Operator's CRDs).
# kubernetes-validate has no schema for it; test_k8s_hardening checks that its
# selector and port hit a rendered Service.
SERVICE_MONITOR = ("monitoring.coreos.com/v1", "ServiceMonitor")


def shipped_versions() -> list[str]:
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = {d.name.split("-")[0].lstrip("v") for d in schemas.iterdir() if d.is_dir()}
    return sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")))


def asks_for_service_monitor(render: str) -> bool:
    """Overlays never do; a component combination does by naming the component;
    a Helm value set by enabling it."""
    if render in COMBINATIONS:
        return "service-monitor" in COMBINATIONS[render]
    source, _, name = render.partition("/")
    if source == "helm":
        return HELM_VALUE_SETS[name].get("metrics", {}).get("serviceMonitor", {}).get("enabled", False)
    return False


VERSIONS = shipped_versions()
RENDERS = {**all_renders(), **component_renders()}


def test_oldest_and_newest_versions_are_known():
    assert len(VERSIONS) >= 2 and VERSIONS[0] == "1.25.0", VERSIONS


def test_every_component_is_rendered_alone():
    assert {components for components in COMBINATIONS.values() if len(components) == 1} >= {
        ("ingress",), ("monitoring",), ("network-policies",), ("nodeport",), ("private-registry",),
        ("scale-out",), ("service-monitor",)}


@pytest.mark.parametrize("version", [VERSIONS[0], VERSIONS[-1]])
@pytest.mark.parametrize("render", sorted(RENDERS))
def test_documents_validate_strictly(render, version):
    validated = 0
    for doc in RENDERS[render]:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            optional = (doc["apiVersion"], doc["kind"]) == SERVICE_MONITOR and asks_for_service_monitor(render)
            assert optional, f"{render}: {name} ({doc['apiVersion']}) is no built-in kind of Kubernetes {version}"
            continue
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{render} {name} invalid for Kubernetes {version}: {error.message} at {list(error.path)}")
        validated += 1
    assert validated >= 9
