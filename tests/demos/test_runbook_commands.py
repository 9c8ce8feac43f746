"""The commands the runbooks give for compose and Kubernetes, checked without Docker or a cluster.

The native demos run for real (test_native_demos.py). For a running compose or
Kubernetes deployment the runbooks show the commands to type, and demo 5 runs
compose commands itself: every one must name compose services, profiles and
files that exist, Kubernetes workloads the Kustomize base really renders in
namespace yelb, and only variables the appserver reads. (Whether kubectl
accepts each command line is checked for all the docs in tests/docs.)
`make e2e-compose` proves the registry scripts in a real Docker engine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.docs.markdown import split
from tests.docs.shell import ASSIGNMENT, SHELL_LANGUAGES, commands
from yelb_appserver.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = sorted((ROOT / "demos").glob("0*.md"))
APPSERVER_VARIABLES = {setting.name for setting in SETTINGS}
COMPOSE_VERBS = {"up", "stop", "start", "restart", "images", "ps", "logs", "pull"}


def runbook_commands(program: str) -> list[tuple[str, dict[str, str], list[str]]]:
    """(runbook, environment, argv) of every command of `program` in the runbooks' shell blocks."""
    found = []
    for path in RUNBOOKS:
        for block in split(path.read_text())[0]:
            if block.language not in SHELL_LANGUAGES:
                continue
            for words in commands(block.text):
                env = {}
                while words and ASSIGNMENT.match(words[0]):
                    key, _, value = words.pop(0).partition("=")
                    env[key] = value
                if words and words[0] == program:
                    found.append((path.name, env, words))
    return found


def registry_switch_dry_run(compose: str | None = None) -> list[tuple[dict[str, str], list[str]]]:
    env = {key: value for key, value in os.environ.items() if key != "COMPOSE"}
    if compose:
        env["COMPOSE"] = compose
    result = subprocess.run([sys.executable, "-m", "demos.registry_switch", "--dry-run"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return [(env, words) for env, words in
            (_assignments(commands(line.removeprefix("    $ "))[0]) for line in result.stdout.splitlines()
             if line.startswith("    $ "))]


def _assignments(words: list[str]) -> tuple[dict[str, str], list[str]]:
    env = {}
    while ASSIGNMENT.match(words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    return env, words


@pytest.fixture(scope="module")
def compose_file() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def kubernetes_objects() -> set[str]:
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed (it renders Kustomize offline)")
    rendered = subprocess.run(["kubectl", "kustomize", str(ROOT / "deployments/kubernetes/base")],
                              capture_output=True, text=True, check=True, timeout=60).stdout
    return {f"{doc['kind'].lower()}/{doc['metadata']['name']}" for doc in yaml.safe_load_all(rendered)
            if doc and doc["metadata"].get("namespace") == "yelb"}


def compose_problems(argv: list[str], compose_file: dict) -> list[str]:
    services = set(compose_file["services"])
    profiles = {profile for service in compose_file["services"].values() for profile in service.get("profiles", [])}
    problems, words = [], iter(argv[2:])
    for word in words:
        if word == "-f":
            file = next(words)
            problems += [] if (ROOT / file).is_file() else [f"no file {file}"]
        elif word == "--profile":
            profile = next(words)
            problems += [] if profile in profiles else [f"no profile {profile}"]
        elif word == "--scale":
            service = next(words).split("=")[0]
            problems += [] if service in services else [f"no service {service}"]
        elif word == "exec":  # exec [options] <service> <command run inside it>
            service = next(word for word in words if not word.startswith("-"))
            problems += [] if service in services else [f"no service {service}"]
            break
        elif not word.startswith("-") and word not in COMPOSE_VERBS and word not in services:
            problems.append(f"{word} is not a service of docker-compose.yml")
    return problems


def test_the_runbooks_show_compose_and_kubectl_commands():
    shown = {name for name, _, _ in runbook_commands("docker") + runbook_commands("kubectl")}
    assert {"01-scale-out.md", "02-lose-the-cache.md", "03-lose-the-database.md", "04-rolling-update.md",
            "05-registry-switch.md", "06-fault-injection.md", "07-live-room.md", "08-canary.md"} <= shown


def test_compose_commands_name_what_exists(compose_file):
    shown = [(name, env, argv) for name, env, argv in runbook_commands("docker") if argv[1] == "compose"]
    assert len(shown) >= 10
    for name, env, argv in shown:
        assert compose_problems(argv, compose_file) == [], (name, argv)
        assert set(env) <= APPSERVER_VARIABLES | {"YELB_REGISTRY", "YELB_TAG"}, (name, env)


def test_kubectl_commands_name_what_exists(kubernetes_objects):
    shown = [(name, argv) for name, _, argv in runbook_commands("kubectl") if argv[1:3] == ["-n", "yelb"]]
    assert len(shown) >= 10
    for name, argv in shown:
        kubectl_words = argv[:argv.index("--")] if "--" in argv else argv  # after --: run in a pod
        objects = [word for word in kubectl_words  # kind/name; not an option, nor a VARIABLE=value to set
                   if "/" in word and not word.startswith("-") and not ASSIGNMENT.match(word)]
        assert set(objects) <= kubernetes_objects, (name, argv)
        if argv[3:5] == ["set", "env"]:
            variables = {word.split("=")[0].rstrip("-") for word in argv[6:]}
            assert variables <= APPSERVER_VARIABLES, (name, variables)


def test_registry_switch_runs_scripts_and_compose_commands_that_exist(compose_file):
    found = registry_switch_dry_run()
    assert [words[0] for _, words in found if words[0].startswith("scripts/")] == [
        "scripts/docker/images.sh", "scripts/docker/push.sh", "scripts/docker/push-chart.sh",
        "scripts/docker/deploy.sh"]
    for env, argv in found:
        assert set(env) <= {"YELB_REGISTRY", "YELB_TAG"}, env
        if argv[0].startswith("scripts/"):
            assert os.access(ROOT / argv[0], os.X_OK), f"{argv[0]} is not an executable file"
        else:
            assert argv[:2] == ["docker", "compose"] and compose_problems(argv, compose_file) == [], argv


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_docker_compose_v1_accepts_the_commands_of_the_runbooks_and_demo_5():
    # Pointed at an engine that does not exist, docker-compose checks the command line
    # first and only then fails to reach the engine.
    shown = [(env, ["docker-compose", *argv[2:]]) for _, env, argv in runbook_commands("docker")
             if argv[1] == "compose"]
    shown += [(env, argv) for env, argv in registry_switch_dry_run(compose="docker-compose")
              if argv[0] == "docker-compose"]
    for env, argv in shown:
        checked = subprocess.run(argv, cwd=ROOT, env={**os.environ, **env, "DOCKER_HOST": "unix:///nonexistent.sock"},
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        assert "Error while fetching server API version" in checked.stderr, (argv, checked.stderr[-500:])


def test_compose_override_sets_only_appserver_variables():
    override = yaml.safe_load((ROOT / "demos/compose/demo.override.yml").read_text())
    assert set(override["services"]) == {"yelb-appserver"}
    assert set(override["services"]["yelb-appserver"]["environment"]) <= APPSERVER_VARIABLES


def test_compose_override_falls_back_to_the_appservers_own_defaults():
    # Unset in the shell, each variable is what the appserver would take by itself.
    environment = yaml.safe_load((ROOT / "demos/compose/demo.override.yml").read_text())[
        "services"]["yelb-appserver"]["environment"]
    defaults = {setting.name: setting.default for setting in SETTINGS}
    for name, value in environment.items():
        assert value in (f"${{{name}:-}}", f"${{{name}:-{defaults[name]}}}"), (name, value)
        if value == f"${{{name}:-}}":
            parser = next(setting.parse for setting in SETTINGS if setting.name == name)
            parser("")  # an empty value is one the appserver accepts
