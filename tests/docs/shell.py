"""The commands of the docs' shell blocks, and what each one names in this repository.

A command names a make target, a demo and its options, a Python module of
this repository, or repository paths (scripts, deployment files, folders).
`problems()` returns what does not exist; a command of another tool (docker,
curl, ...) is only checked for the repository paths it mentions, and
`kubectl_accepts()` lets kubectl itself judge its commands, offline.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import os
import shlex
import subprocess
from pathlib import Path

from tests.docs.markdown import ROOT

SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
# Top-level entries of a clean clone; a word starting with one of them is a repository path.
NOT_IN_A_CLONE = {".git", ".venv", ".venv-checkov", ".pytest_cache", "artifacts"}
FILE_WORD = re.compile(r"^[\w.-]+\.(hcl|ya?ml|json|sh|py|sql|md|conf|template|txt)$")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")", ";;"}
KEYWORDS = {"do", "then", "else", "done", "fi", "!"}


def commands(script: str) -> list[list[str]]:
    """Split a shell block into simple commands (lists of words), comments removed."""
    text = script.replace("\\\n", " ")
    found: list[list[str]] = []
    for line in text.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for word in lexer:
            if word in SEPARATORS or set(word) <= set(";&|()"):
                found.append(current)
                current = []
            elif word in KEYWORDS and not current:
                continue
            else:
                current.append(word)
        found.append(current)
    return [command for command in found if command]


def makefile_targets(root: Path = ROOT) -> dict[str, str | None]:
    """Every Makefile target, with the demo module it runs (or None)."""
    targets: dict[str, str | None] = {}
    current = None
    for line in (root / "Makefile").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+):(?!=)", line)
        if match:
            current = match.group(1)
            targets[current] = None
        elif line.startswith("\t") and current:
            demo = re.search(r"\$\(call demo,(\w+)\)", line)
            if demo:
                targets[current] = demo.group(1)
    return targets


def demo_arguments_problem(module_name: str, assignments: dict[str, str]) -> str | None:
    """Whether DEMO_ARGS are options the demo accepts."""
    argv = shlex.split(assignments.get("DEMO_ARGS", ""))
    complaint = io.StringIO()
    try:
        with contextlib.redirect_stderr(complaint):
            importlib.import_module(f"demos.{module_name}").demo_arguments().parse_args(argv)
    except SystemExit:
        return f"demos.{module_name} does not accept {' '.join(argv)!r}: {complaint.getvalue().strip().splitlines()[-1]}"
    return None


def kubectl_accepts(argv: list[str], cwd: Path = ROOT) -> str | None:
    """Run a kubectl command against an address where nothing listens: kubectl checks the
    command and its flags first, so "connection refused" means it took the command as valid.
    Returns kubectl's complaint otherwise."""
    result = subprocess.run(["kubectl", "--server=https://127.0.0.1:1", "--token=demo", "--request-timeout=2s",
                             *argv[1:]], env={**os.environ, "KUBECONFIG": os.devnull},
                            cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    output = result.stdout + result.stderr
    refused = "connection refused" in output or "connection to the server 127.0.0.1:1 was refused" in output
    return None if refused else output.strip()[-300:]


class Checker:
    def __init__(self, root: Path = ROOT):
        self.root = root
        self.top = {path.name for path in root.iterdir()} - NOT_IN_A_CLONE
        self.targets = makefile_targets(root)

    def path_problem(self, word: str, cwd: Path) -> str | None:
        word = word.removeprefix("$PWD/")
        if word.startswith(("/", "-", "$", "~")) or "://" in word or "*" in word or " " in word:
            return None
        names_repo_path = "/" in word and word.split("/")[0] in self.top
        names_file = FILE_WORD.match(word) and cwd != self.root
        if (names_repo_path or names_file) and not (cwd / word).exists():
            return f"{word} does not exist (from {cwd.relative_to(self.root).as_posix() or '.'})"
        return None

    def problems(self, script: str) -> list[str]:
        problems: list[str] = []
        cwd = self.root
        for command in commands(script):
            assignments = {}
            while command and ASSIGNMENT.match(command[0]):
                name, _, value = command.pop(0).partition("=")
                assignments[name] = value
            words = [*assignments.values(), *command]
            if command and command[0] == "cd" and len(command) > 1:
                cwd = (cwd / command[1]).resolve()
                if not cwd.is_dir():
                    problems.append(f"cd {command[1]}: no such folder")
                    cwd = self.root
                continue
            if command and command[0] == "make":
                assignments.update(word.partition("=")[::2] for word in command[1:] if ASSIGNMENT.match(word))
                for word in command[1:]:
                    if ASSIGNMENT.match(word) or word.startswith("-"):
                        continue
                    if word not in self.targets:
                        problems.append(f"make {word}: no such target in the Makefile")
                    elif self.targets[word] and assignments:
                        problem = demo_arguments_problem(self.targets[word], assignments)
                        if problem:
                            problems.append(f"make {word}: {problem}")
            if "-m" in command[:-1]:
                module = command[command.index("-m") + 1]
                if module.split(".")[0] in self.top and not self._module_exists(module):
                    problems.append(f"python -m {module}: no such module in the repository")
            for word in words:
                value = word.partition("=")[2] if ASSIGNMENT.match(word) or word.startswith("-") else word
                problem = self.path_problem(value, cwd)
                if problem:
                    problems.append(problem)
        return problems

    def _module_exists(self, module: str) -> bool:
        base = self.root.joinpath(*module.split("."))
        return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()
