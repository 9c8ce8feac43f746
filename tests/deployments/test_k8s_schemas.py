"""Every rendered document is valid, strictly (no unknown fields), against the
oldest and the newest Kubernetes version kubernetes-validate ships."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest

from .renders import all_renders

# Custom resources kubernetes-validate has no schema for; their shape is checked
# in test_k8s_hardening (selector and port must hit a rendered Service).
CUSTOM_KINDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}


def shipped_versions() -> list[str]:
    schemas = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    versions = {d.name.split("-")[0].lstrip("v") for d in schemas.iterdir() if d.is_dir()}
    return sorted(versions, key=lambda v: tuple(int(part) for part in v.split(".")))


VERSIONS = shipped_versions()
RENDERS = all_renders()


def test_oldest_and_newest_versions_are_known():
    assert len(VERSIONS) >= 2 and VERSIONS[0] == "1.25.0", VERSIONS


@pytest.mark.parametrize("version", [VERSIONS[0], VERSIONS[-1]])
@pytest.mark.parametrize("render", sorted(RENDERS))
def test_documents_validate_strictly(render, version):
    validated = 0
    for doc in RENDERS[render]:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            assert (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS, f"{name}: no schema in {version}"
            continue
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{render} {name} invalid for Kubernetes {version}: {error.message} at {list(error.path)}")
        validated += 1
    assert validated >= 9
