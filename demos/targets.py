"""Where a demo runs: the same operations on three kinds of deployment.

- native: the whole stack as processes on this machine (stack/runner.py),
  started by the demo itself: PostgreSQL, Redis, three appserver slots
  (appserver-1..3, each in its own UTS namespace) and the UI's nginx front.
- compose: `docker compose` against the stack of this clone's docker-compose.yml.
- kubernetes: `kubectl` against namespace `yelb` (deployments/kubernetes/).

compose and kubernetes run real commands, each printed before it runs; with
--dry-run they are only printed (that is how CI checks them here, where neither
Docker nor a cluster is available to the default test run).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import requests

from stack.services import port_open
from stack import Stack

ROOT = Path(__file__).resolve().parents[1]
# The compose file of the demos adds the appserver settings the demos change
# (options, revision, fault injection) to the root docker-compose.yml.
COMPOSE_OVERRIDE = "demos/compose/demo.override.yml"
NATIVE_SLOTS = 3
NAMESPACE = "yelb"
# The services a demo stops and starts, by the names every deployment uses.
BACKENDS = ("redis-server", "yelb-db")


class TargetError(RuntimeError):
    """A deployment command failed, or the target cannot do what the demo asks."""


class Target:
    name = "?"
    url = ""

    def __init__(self, say, dry_run: bool = False):
        self.say = say
        self.dry_run = dry_run

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    # Each target implements these; the docstrings say what they must achieve.
    def scale_appservers(self, replicas: int) -> None:
        """Run exactly `replicas` appservers and wait until they are up."""
        raise NotImplementedError

    def stop_backend(self, service: str) -> None:
        """Stop redis-server or yelb-db, keeping its data."""
        raise NotImplementedError

    def start_backend(self, service: str) -> None:
        """Start redis-server or yelb-db again."""
        raise NotImplementedError

    def configure_appservers(self, settings: dict[str, str], rolling: bool = True) -> None:
        """Give every appserver these environment variables. rolling: replace the replicas one
        at a time, each in rotation before the next goes (a target that cannot, refuses);
        otherwise the target may replace them all at once."""
        raise NotImplementedError

    def reset_appservers(self) -> None:
        """Replace every appserver by a fresh one (clears injected faults)."""
        raise NotImplementedError

    # Whether a replica whose readiness fails stops getting requests (Kubernetes: the
    # readiness probe takes it out of the Service; nginx OSS has no active health checks).
    readiness_takes_out_of_rotation = False

    def replica_metrics(self, hostname: str) -> str | None:
        """/metrics of one replica, when this machine can reach it directly (native only)."""
        return None


class _Commands(Target):
    """A target driven by shell commands, each printed before it runs."""

    def __init__(self, say, dry_run: bool = False, url: str | None = None):
        super().__init__(say, dry_run)
        self.url = (url or "http://127.0.0.1:8080").rstrip("/")

    def sh(self, command: list[str], env: dict[str, str] | None = None, timeout: float = 180) -> str:
        shown = " ".join(f"{key}={shlex.quote(value)}" for key, value in (env or {}).items())
        self.say(f"    $ {(shown + ' ') if shown else ''}{shlex.join(command)}")
        if self.dry_run:
            return ""
        if not shutil.which(command[0]):
            raise TargetError(f"{command[0]} is not installed; use --dry-run to see the commands")
        try:
            result = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})},
                                    capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TargetError(f"{command[0]} did not finish within {timeout:g} s") from None
        output = (result.stdout + result.stderr).strip()
        if result.returncode:
            raise TargetError(f"{shlex.join(command)} exited with {result.returncode}:\n{output[-1500:]}")
        for line in output.splitlines()[-8:]:
            self.say(f"      {line}")
        return result.stdout


class ComposeTarget(_Commands):
    name = "compose"

    def __init__(self, say, dry_run: bool = False, url: str | None = None):
        super().__init__(say, dry_run, url)
        self.compose = self._compose_command()
        self.settings: dict[str, str] = {}
        # `up` sets the replica count each time; three unless a demo scales.
        self.replicas = 3

    def _compose_command(self) -> list[str]:
        # COMPOSE picks the command, as for scripts/docker/deploy.sh (e.g. COMPOSE=docker-compose).
        if os.environ.get("COMPOSE"):
            return os.environ["COMPOSE"].split()
        if self.dry_run or not shutil.which("docker"):
            return ["docker", "compose"]
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20)
        return ["docker", "compose"] if probe.returncode == 0 else ["docker-compose"]

    def scale_appservers(self, replicas: int) -> None:
        self.replicas = replicas
        self._up_appservers()
        self.say("    the UI front re-resolves yelb-appserver every 10 s, so new replicas join within 10 s")

    def _up_appservers(self) -> None:
        files = ["-f", "docker-compose.yml", "-f", COMPOSE_OVERRIDE] if self.settings else []
        wait = ["--wait"] if self.compose == ["docker", "compose"] else []  # docker-compose v1 has no --wait
        self.sh([*self.compose, *files, "up", "-d", "--no-deps", *wait,
                 "--scale", f"yelb-appserver={self.replicas}", "yelb-appserver"], env=self.settings)

    def stop_backend(self, service: str) -> None:
        self.sh([*self.compose, "stop", _backend(service)])

    def start_backend(self, service: str) -> None:
        self.sh([*self.compose, "start", _backend(service)])

    def configure_appservers(self, settings: dict[str, str], rolling: bool = True) -> None:
        if rolling:
            raise TargetError("docker compose replaces all replicas of a service at once, so it cannot "
                              "roll them; run this demo on kubernetes, or natively")
        self.settings.update(settings)
        self._up_appservers()

    def reset_appservers(self) -> None:
        self.sh([*self.compose, "restart", "yelb-appserver"])

    def deploy_from_registry(self, registry: str, tag: str) -> None:
        # Pulls every image from the registry and recreates the stack from them; never builds.
        self.sh(["scripts/docker/deploy.sh"], env={"YELB_REGISTRY": registry, "YELB_TAG": tag}, timeout=600)
        self.sh([*self.compose, "images"])


class KubernetesTarget(_Commands):
    name = "kubernetes"
    readiness_takes_out_of_rotation = True
    workloads = {"redis-server": "deployment/redis-server", "yelb-db": "statefulset/yelb-db"}

    def kubectl(self, *arguments: str) -> str:
        return self.sh(["kubectl", "-n", NAMESPACE, *arguments])

    def rollout(self, workload: str = "deployment/yelb-appserver") -> None:
        self.kubectl("rollout", "status", workload, "--timeout=150s")

    def scale_appservers(self, replicas: int) -> None:
        self.kubectl("scale", "deployment/yelb-appserver", f"--replicas={replicas}")
        self.rollout()

    def stop_backend(self, service: str) -> None:
        self.kubectl("scale", self.workloads[_backend(service)], "--replicas=0")

    def start_backend(self, service: str) -> None:
        workload = self.workloads[_backend(service)]
        self.kubectl("scale", workload, "--replicas=1")
        self.rollout(workload)

    def configure_appservers(self, settings: dict[str, str], rolling: bool = True) -> None:
        # A Deployment's default strategy is RollingUpdate, driven by the readiness probe.
        self.kubectl("set", "env", "deployment/yelb-appserver",
                     *(f"{key}={value}" for key, value in settings.items()))
        self.rollout()

    def reset_appservers(self) -> None:
        self.kubectl("rollout", "restart", "deployment/yelb-appserver")
        self.rollout()

    def deploy_from_registry(self, registry: str, tag: str) -> None:
        with tempfile.TemporaryDirectory(prefix="yelb-registry-overlay-") as folder:
            overlay = registry_overlay(registry, tag, Path(folder))
            self.say(f"    an overlay of the base with every image from {registry}:")
            for line in overlay.read_text().splitlines():
                self.say(f"      {line}")
            self.sh(["kubectl", "apply", "-k", folder])
        for workload in ("deployment/yelb-appserver", "deployment/yelb-ui"):
            self.rollout(workload)
        self.kubectl("get", "pods", "-o", "custom-columns=POD:.metadata.name,IMAGE:.spec.containers[*].image")


def registry_overlay(registry: str, tag: str, folder: Path) -> Path:
    """Write a Kustomize overlay of deployments/kubernetes/base that takes every image from
    `registry` (what deployments/kubernetes/components/private-registry does with fixed values)."""
    base = os.path.relpath(ROOT / "deployments" / "kubernetes" / "base", folder)  # kustomize wants relative
    images = [(f"ghcr.io/yelb-project/{name}", f"{registry}/{name}", tag)
              for name in ("yelb-ui", "yelb-appserver", "yelb-db")]
    images.append(("ghcr.io/yelb-project/redis", f"{registry}/redis", "7-alpine"))
    lines = ["apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", f"namespace: {NAMESPACE}",
             "resources:", f"  - {base}", "images:"]
    for name, new_name, new_tag in images:
        lines += [f"  - name: {name}", f"    newName: {new_name}", f'    newTag: "{new_tag}"']
    kustomization = folder / "kustomization.yaml"
    kustomization.write_text("\n".join(lines) + "\n")
    return kustomization


class NativeTarget(Target):
    """The Stack harness with three appserver slots; `scale_appservers` starts and stops slots."""

    name = "native"

    def __init__(self, say, port: int = 8080, env: dict[str, str] | None = None):
        super().__init__(say)
        # Outages answer after 1 s instead of 2: the room sees the effect sooner.
        self.stack = Stack(NATIVE_SLOTS, env={"YELB_DEPENDENCY_TIMEOUT": "1", **(env or {})},
                           front_port=port or None)
        self.url = self.stack.url

    def __enter__(self) -> "NativeTarget":
        # Another process on the front's port would answer in the front's place.
        if port_open(self.stack.front_port):
            self.stack.stop()  # nothing runs yet; this removes its folders
            raise TargetError(f"port {self.stack.front_port} is in use (another Yelb stack, `make stack-up`?): "
                              "stop it, or pass --port")
        self.say(f"starting PostgreSQL, Redis, {NATIVE_SLOTS} appservers and the nginx front on this machine…")
        self.stack.start()
        self.say(self.stack.describe())
        return self

    def __exit__(self, *exc_info) -> None:
        self.say("stopping the native stack")
        self.stack.stop()

    def running(self) -> list[int]:
        return [index for index, replica in enumerate(self.stack.replicas)
                if replica and replica.process and replica.process.poll() is None]

    def hostnames(self) -> list[str]:
        return [self.stack.hostname(index) for index in self.running()]

    def scale_appservers(self, replicas: int) -> None:
        if not 1 <= replicas <= NATIVE_SLOTS:
            raise TargetError(f"the native stack has {NATIVE_SLOTS} appserver slots; asked for {replicas}")
        running = self.running()
        for index in range(NATIVE_SLOTS):
            if index < replicas and index not in running:
                self.say(f"    starting {self.stack.hostname(index)}")
                self.stack.start_replica(index)
                self.stack.wait_in_rotation(index)
            elif index >= replicas and index in running:
                self.say(f"    stopping {self.stack.hostname(index)} (SIGTERM, graceful)")
                self.stack.stop_replica(index)

    def replica_metrics(self, hostname: str) -> str | None:
        index = int(hostname.rsplit("-", 1)[1]) - 1
        return requests.get(f"{self.stack.replica_urls[index]}/metrics", timeout=5).text

    def _backend(self, service: str):
        return {"redis-server": self.stack.redis, "yelb-db": self.stack.postgres}[_backend(service)]

    def stop_backend(self, service: str) -> None:
        self.say(f"    stopping {service} (its data stays on disk)")
        self._backend(service).stop()

    def start_backend(self, service: str) -> None:
        self.say(f"    starting {service} again on the same port")
        self._backend(service).start()

    def configure_appservers(self, settings: dict[str, str], rolling: bool = True) -> None:
        self.stack.extra_env.update(settings)
        self.reset_appservers()

    def reset_appservers(self) -> None:
        # One at a time, each back in the front's rotation before the next goes: a rolling update.
        for index in self.running():
            self.say(f"    replacing {self.stack.hostname(index)}: SIGTERM, start, wait until the front routes to it")
            self.stack.restart_replica(index)


def _backend(service: str) -> str:
    if service not in BACKENDS:
        raise TargetError(f"unknown backend {service!r}; one of {', '.join(BACKENDS)}")
    return service


TARGETS = {"native": NativeTarget, "compose": ComposeTarget, "kubernetes": KubernetesTarget}


def make_target(args, say, native_env: dict[str, str]) -> Target:
    if args.target == "native":
        if args.dry_run:
            raise TargetError("--dry-run is for compose and kubernetes; the native target runs for real")
        if native_env is None:
            raise TargetError("this demo needs Docker images: use --target compose or --target kubernetes")
        return NativeTarget(say, port=args.port, env=native_env)
    return TARGETS[args.target](say, dry_run=args.dry_run, url=args.url)
