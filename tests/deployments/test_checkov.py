"""checkov finds nothing to fix in any render (the Kustomize base, overlays and
component combinations, the Helm value sets); every skip is an annotation on the
resource it concerns, with its reason. One checkov run covers all renders."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from .kustomize_components import component_renders
from .renders import all_renders

CHECKOV = os.environ.get("YELB_CHECKOV", str(Path(__file__).resolve().parents[2] / ".venv-checkov/bin/checkov"))
RENDERS = {**all_renders(), **component_renders()}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("renders")
    for name, docs in RENDERS.items():
        (folder / f"{name.replace('/', '-')}.yaml").write_text(yaml.safe_dump_all(docs))
    result = subprocess.run(
        [CHECKOV, "--directory", str(folder), "--framework", "kubernetes", "--output", "json"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"})
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def test_no_failed_checks(report):
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 1000 and report["summary"]["resource_count"] >= 100


def test_every_skip_carries_its_reason(report):
    skipped = report["results"]["skipped_checks"]
    assert skipped
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "")) > 20, check["check_id"]


def test_skip_annotations_name_a_check_and_a_reason():
    for docs in RENDERS.values():
        for doc in docs:
            for key, value in doc["metadata"].get("annotations", {}).items():
                if key.startswith("checkov.io/skip"):
                    check, _, reason = value.partition("=")
                    assert check.startswith(("CKV_K8S_", "CKV2_K8S_")) and len(reason) > 20, value
