"""The stack package is a product of its own: shipped code never reaches into tests/, and its
README documents every option of `python -m stack up`."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("stack", "demos", "bench", "loadgen", "scripts", "yelb-appserver", "yelb-ui", "deployments")


def python_files(folder: Path):
    for path in folder.rglob("*"):
        in_tests = "tests" in path.relative_to(ROOT).parts
        is_python = path.suffix == ".py" or (path.is_file() and path.suffix == ""
                                              and path.read_bytes()[:40].startswith(b"#!/usr/bin/env python"))
        if is_python and not in_tests and ".venv" not in path.parts:
            yield path


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_nothing_outside_tests_imports_from_tests():
    checked = [path for folder in SHIPPED for path in python_files(ROOT / folder)]
    assert len(checked) > 30
    offenders = {path.relative_to(ROOT).as_posix(): sorted(module for module in imported_modules(path)
                                                           if module == "tests" or module.startswith("tests."))
                 for path in checked}
    assert {path: modules for path, modules in offenders.items() if modules} == {}


def test_the_readme_documents_every_option_of_stack_up():
    help_text = subprocess.run([sys.executable, "-m", "stack", "up", "--help"], cwd=ROOT, capture_output=True,
                               text=True, check=True, timeout=30).stdout
    options = set(re.findall(r"(--[a-z][a-z-]+)", help_text)) - {"--help"}
    assert {"--replicas", "--port", "--workers", "--fault-injection", "--no-fault-injection"} <= options
    readme = (ROOT / "stack" / "README.md").read_text()
    assert {option for option in options if f"`{option}`" not in readme} == set()
