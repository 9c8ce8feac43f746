"""Just enough PromQL reading to check which metrics and labels an expression names."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

SELECTOR = re.compile(r"\b(yelb_[a-z0-9_]+)\s*(?:\{([^}]*)\})?")
MATCHER_LABEL = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
# Labels Prometheus adds to every scraped series; the appserver does not export them.
TARGET_LABELS = {"instance", "job"}


def selectors(expr: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names matched on) for every yelb_ selector in the expression."""
    return [(name, set(MATCHER_LABEL.findall(matchers or ""))) for name, matchers in SELECTOR.findall(expr)]


def grouping_labels(expr: str) -> set[str]:
    return {label.strip() for group in GROUPING.findall(expr) for label in group.split(",") if label.strip()}


def problems(expr: str, exported: dict[str, set[str]]) -> list[str]:
    """What in `expr` the appserver does not export: unknown metrics, unknown labels."""
    found = []
    labels_in_expr = set(TARGET_LABELS)
    for name, labels in selectors(expr):
        if name not in exported:
            found.append(f"metric {name} is not exported")
            continue
        labels_in_expr |= exported[name]
        found += [f"{name} has no label {label}" for label in labels - exported[name] - TARGET_LABELS]
    found += [f"grouping by unknown label {label}" for label in grouping_labels(expr) - labels_in_expr]
    return found


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool not found: `scripts/bootstrap test` installs Debian's prometheus package"
    return path


def check_rules_file(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True,
                          timeout=60)


def check_expressions(exprs: dict[str, str], folder: Path) -> subprocess.CompletedProcess:
    """Let promtool parse arbitrary expressions by wrapping them as recording rules."""
    rules = {"groups": [{"name": "expressions", "rules": [
        {"record": f"check:{name}", "expr": expr} for name, expr in exprs.items()]}]}
    path = folder / "expressions.yml"
    path.write_text(yaml.safe_dump(rules))
    return check_rules_file(path)
