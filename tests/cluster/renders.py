"""The renders the cluster runs: Kustomize's base and every overlay, and the Helm
chart under two release names (so release-prefixed names are exercised)."""

from __future__ import annotations

import helm_python as helm
import yaml

from tests.deployments.renders import CHART_DIR, NAMESPACE, kustomize_docs, kustomize_targets

from .cluster import Render

# Defaults, plus a password: an offline render cannot keep a generated one.
HELM_VALUES = {"db": {"auth": {"password": "cluster-e2e-password"}}}
HELM_RELEASES = {"yelb": NAMESPACE, "demo": "demo"}  # release name -> namespace


def helm_render(release: str, namespace: str) -> Render:
    with helm.Chart.load(CHART_DIR) as chart:
        rendered = chart.render(HELM_VALUES, name=release, namespace=namespace, is_install=True)
    docs = [doc for path, text in sorted(rendered.items()) if path.endswith(".yaml")
            for doc in yaml.safe_load_all(text) if doc]
    return Render(f"helm/{release}", namespace, docs)


def all_renders() -> list[Render]:
    renders = [Render(f"kustomize/{name}", NAMESPACE, kustomize_docs(name)) for name in kustomize_targets()]
    return renders + [helm_render(release, namespace) for release, namespace in HELM_RELEASES.items()]
