"""scripts/faults/yelb-faults is the one fault client: no demo sends /api/faults requests of its own."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def strings_in_code(path: Path) -> list[str]:
    """The string literals of a module, f-string parts included, docstrings left out."""
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node)}
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_demo_calls_the_fault_api_itself():
    demos = sorted((ROOT / "demos").glob("*.py"))
    callers = [path.name for path in demos if any("/api/faults" in text for text in strings_in_code(path))]
    assert callers == []
    assert "scripts/faults/yelb-faults" in strings_in_code(ROOT / "demos" / "fault_injection.py")
