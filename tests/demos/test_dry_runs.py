"""The compose and kubernetes runs of every demo, checked without Docker or a cluster.

Neither a Docker engine nor a Kubernetes cluster is part of the default test run
(`make e2e-compose` proves compose, images and the registry scripts in a real
engine). Here each demo is run with --dry-run and every command it would execute
is checked against the repository: compose services, profiles and files exist,
kubectl names workloads the Kustomize base really renders in namespace yelb,
`set env` only sets variables the appserver reads, kubectl itself accepts every
command and flag (pointed at an address where nothing listens), scripts exist
and are executable, and the registry overlay renders with every image from the
registry.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from demos.targets import COMPOSE_OVERRIDE, NAMESPACE, registry_overlay
from tests.docs.shell import kubectl_accepts
from yelb_appserver.config import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DEMOS = ["scale_out", "lose_cache", "lose_database", "rolling_update", "registry_switch",
         "fault_injection", "live_room"]
APPSERVER_VARIABLES = {setting.name for setting in SETTINGS}


def dry_run(demo: str, target: str, *extra: str, compose: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "COMPOSE"}  # the default command
    if compose:
        env["COMPOSE"] = compose
    return subprocess.run([sys.executable, "-m", f"demos.{demo}", "--target", target, "--dry-run", *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def commands(output: str) -> list[tuple[dict[str, str], list[str]]]:
    """The `$ ...` lines of a transcript as (environment, argv)."""
    found = []
    for line in output.splitlines():
        if line.startswith("    $ "):
            words = shlex.split(line.removeprefix("    $ "))
            env = {}
            while "=" in words[0] and not words[0].startswith("-"):
                key, _, value = words.pop(0).partition("=")
                env[key] = value
            found.append((env, words))
    return found


@pytest.fixture(scope="module")
def compose_file() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def kubernetes_workloads() -> set[str]:
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed (it renders Kustomize offline)")
    rendered = subprocess.run(["kubectl", "kustomize", str(ROOT / "deployments/kubernetes/base")],
                              capture_output=True, text=True, check=True, timeout=60).stdout
    return {f"{doc['kind'].lower()}/{doc['metadata']['name']}" for doc in yaml.safe_load_all(rendered)
            if doc and doc["metadata"].get("namespace") == NAMESPACE}


def check_script(word: str) -> None:
    script = ROOT / word
    assert script.is_file(), f"{word} does not exist"
    assert script.stat().st_mode & 0o111, f"{word} is not executable"


@pytest.mark.parametrize("demo", DEMOS)
def test_compose_commands_name_what_exists(demo, compose_file):
    result = dry_run(demo, "compose")
    if demo == "rolling_update":
        # Compose recreates all replicas at once: the demo says so instead of pretending.
        assert result.returncode == 1
        assert "cannot roll them" in result.stdout
        return
    assert result.returncode == 0, result.stdout + result.stderr
    found = commands(result.stdout)
    assert found, result.stdout
    services = set(compose_file["services"])
    profiles = {profile for service in compose_file["services"].values() for profile in service.get("profiles", [])}
    for env, argv in found:
        if argv[0].startswith("scripts/"):
            check_script(argv[0])
            continue
        assert argv[:2] == ["docker", "compose"], argv
        words = iter(argv[2:])
        for word in words:
            if word == "-f":
                assert (ROOT / next(words)).is_file()
            elif word == "--profile":
                assert next(words) in profiles
            elif word == "--scale":
                assert next(words).split("=")[0] in services
            elif word == "exec":  # exec [-T] <service> <command run inside it>
                assert next(word for word in words if not word.startswith("-")) in services
                break
            elif not word.startswith("-") and word not in {"up", "stop", "start", "restart", "images"}:
                assert word in services, f"{word} is not a service of docker-compose.yml"
        assert set(env) <= APPSERVER_VARIABLES | {"YELB_REGISTRY", "YELB_TAG"}, env


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
@pytest.mark.parametrize("demo", [name for name in DEMOS if name != "rolling_update"])
def test_docker_compose_v1_accepts_every_compose_command(demo):
    # Pointed at an engine that does not exist, docker-compose checks the command line
    # first and only then fails to reach the engine.
    result = dry_run(demo, "compose", compose="docker-compose")
    assert result.returncode == 0, result.stdout + result.stderr
    for env, argv in commands(result.stdout):
        if argv[0] != "docker-compose":
            continue
        checked = subprocess.run(argv, cwd=ROOT, env={**os.environ, **env, "DOCKER_HOST": "unix:///nonexistent.sock"},
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        assert "Error while fetching server API version" in checked.stderr, (argv, checked.stderr[-500:])


@pytest.mark.parametrize("demo", [name for name in DEMOS if name != "registry_switch"])
def test_kubectl_commands_name_what_exists(demo, kubernetes_workloads):
    result = dry_run(demo, "kubernetes")
    assert result.returncode == 0, result.stdout + result.stderr
    found = commands(result.stdout)
    assert found, result.stdout
    for _, argv in found:
        if argv[1:3] == ["-m", "locust"]:  # the audience of the rolling update runs on this machine
            assert (ROOT / argv[argv.index("-f") + 1]).is_file()
            continue
        assert argv[:3] == ["kubectl", "-n", NAMESPACE], argv
        kubectl_words = argv[:argv.index("--")] if "--" in argv else argv  # after --: run in a pod
        workloads = [word for word in kubectl_words if "/" in word and not word.startswith("-")]
        assert workloads and set(workloads) <= kubernetes_workloads, argv
        if argv[3:5] == ["set", "env"]:
            variables = {word.split("=")[0] for word in argv[6:]}
            assert variables <= APPSERVER_VARIABLES, variables
        assert kubectl_accepts(argv) is None, argv


def test_kubectl_check_rejects_a_wrong_flag(kubernetes_workloads):
    assert kubectl_accepts(["kubectl", "-n", NAMESPACE, "get", "pods"]) is None
    assert "unknown flag" in kubectl_accepts(["kubectl", "-n", NAMESPACE, "scale", "deployment/yelb-ui",
                                              "--replicaz=3"])


def test_registry_switch_refuses_to_run_natively():
    result = subprocess.run([sys.executable, "-m", "demos.registry_switch", "--target", "native"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "needs Docker images" in result.stdout


def test_registry_switch_on_kubernetes_needs_a_registry_the_cluster_reaches():
    result = dry_run("registry_switch", "kubernetes")
    assert result.returncode == 1
    assert "cannot pull from this machine's 127.0.0.1" in result.stdout


def test_kubernetes_registry_overlay_takes_every_image_from_the_registry(tmp_path, kubernetes_workloads):
    result = dry_run("registry_switch", "kubernetes", "--registry", "harbor.example.com/yelb", "--tag", "2.0.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kubectl apply -k" in result.stdout
    for _, argv in commands(result.stdout):
        if argv[0] == "kubectl" and "apply" not in argv:  # the overlay's folder is gone after the run
            assert kubectl_accepts(argv) is None, argv
    registry_overlay("harbor.example.com/yelb", "2.0.0", tmp_path)
    rendered = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True,
                              check=True, timeout=60).stdout
    images = {container["image"] for doc in yaml.safe_load_all(rendered) if doc and doc["kind"] in
              {"Deployment", "StatefulSet"} for container in doc["spec"]["template"]["spec"]["containers"]}
    assert images == {"harbor.example.com/yelb/yelb-ui:2.0.0", "harbor.example.com/yelb/yelb-appserver:2.0.0",
                      "harbor.example.com/yelb/yelb-db:2.0.0", "harbor.example.com/yelb/redis:7-alpine"}


def test_compose_override_sets_only_appserver_variables():
    override = yaml.safe_load((ROOT / COMPOSE_OVERRIDE).read_text())
    assert set(override["services"]) == {"yelb-appserver"}
    assert set(override["services"]["yelb-appserver"]["environment"]) <= APPSERVER_VARIABLES
    if shutil.which("docker-compose"):
        subprocess.run(["docker-compose", "-f", "docker-compose.yml", "-f", COMPOSE_OVERRIDE, "config", "-q"],
                       cwd=ROOT, check=True, timeout=60)
