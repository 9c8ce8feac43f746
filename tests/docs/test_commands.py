"""Every shell command in the repository's Markdown names make targets, demos, options,
modules, scripts and files that exist in this repository."""

from __future__ import annotations

import shutil

import pytest

from tests.docs.markdown import ROOT, doc_files, split
from tests.docs.shell import SHELL_LANGUAGES, Checker, commands, kubectl_accepts

DOCS = doc_files()


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


@pytest.mark.parametrize("path", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_commands_name_what_exists(path, checker):
    blocks, _ = split(path.read_text())
    problems = [f"line {block.line}: {problem}" for block in blocks if block.language in SHELL_LANGUAGES
                for problem in checker.problems(block.text)]
    assert problems == []


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_kubectl_accepts_every_kubectl_command_in_the_docs():
    shown = [command for path in DOCS for block in split(path.read_text())[0]
             if block.language in SHELL_LANGUAGES for command in commands(block.text) if command[0] == "kubectl"]
    assert len(shown) >= 10
    complaints = {" ".join(command): kubectl_accepts(command, cwd=ROOT) for command in shown}
    assert {command: complaint for command, complaint in complaints.items() if complaint} == {}


def test_the_docs_show_commands():
    shell_blocks = [block for path in DOCS for block in split(path.read_text())[0]
                    if block.language in SHELL_LANGUAGES]
    assert len(shell_blocks) >= 25


def test_every_demo_target_has_a_runbook_that_uses_it(checker):
    demo_targets = {target for target, module in checker.targets.items() if module}
    runbooks = "\n".join(path.read_text() for path in (ROOT / "demos").glob("0*.md"))
    assert len(demo_targets) == 8
    assert all(f"make {target}" in runbooks for target in demo_targets)


def test_commands_are_split_like_a_shell_would():
    script = ("cd deployments/nomad   # go there\n"
              "for n in 1 2; do curl -s x && echo; done\n"
              "YELB_A=1 make run \\\n  PYTEST_ARGS=-x\n")
    assert commands(script) == [["cd", "deployments/nomad"], ["for", "n", "in", "1", "2"],
                                ["curl", "-s", "x"], ["echo"], ["YELB_A=1", "make", "run", "PYTEST_ARGS=-x"]]


def test_the_checker_finds_what_does_not_exist(checker):
    script = "\n".join([
        "make no-such-target",
        "make demo-scale-out DEMO_ARGS=--no-such-option",
        "make demo-scale-out DEMO_ARGS='--target mars'",
        "scripts/docker/no-such-script.sh",
        "kubectl apply -k deployments/kubernetes/overlays/nowhere",
        "YELB_UI_STATIC_DIR=$PWD/yelb-ui/nothing make run",
        ".venv/bin/python -m demos.no_such_demo",
        "cd deployments/nomad && nomad job run missing.nomad.hcl",
        "nomad agent -dev -config=missing-agent.hcl",
    ])
    problems = checker.problems(script)
    assert len(problems) == 9, problems
    clean = ("make demo-live-room DEMO_ARGS='--hold 600'\n"
             "kubectl apply -f deployments/kubernetes/yelb.yaml\n"
             "cd deployments/nomad && nomad job run yelb.nomad.hcl")
    assert checker.problems(clean) == []
