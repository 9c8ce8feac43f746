"""One appserver replica as the Kubernetes base runs it: its gunicorn settings and its CPU limit.

The benchmarks read them from deployments/kubernetes/base/yelb-appserver.yaml, so a change
to the manifest is what they measure. The CPU limit is applied with a cgroup of its own, as
the kubelet does (CFS quota over a 100 ms period), to the replica only: PostgreSQL, Redis
and wrk stay outside it, as they would be in pods of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "deployments/kubernetes/base/yelb-appserver.yaml"
CFS_PERIOD_US = 100_000  # the kubelet's period
CGROUP_V2 = Path("/sys/fs/cgroup")
CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")


def appserver_container(manifest: Path = MANIFEST) -> dict:
    deployment = next(document for document in yaml.safe_load_all(manifest.read_text())
                      if document and document.get("kind") == "Deployment")
    return next(container for container in deployment["spec"]["template"]["spec"]["containers"]
                if container["name"] == "yelb-appserver")


def gunicorn_env(manifest: Path = MANIFEST) -> dict[str, str]:
    """The manifest's YELB_APPSERVER_* settings with a literal value (workers, threads)."""
    return {variable["name"]: variable["value"] for variable in appserver_container(manifest)["env"]
            if variable["name"].startswith("YELB_APPSERVER_") and "value" in variable}


def cpu_limit(manifest: Path = MANIFEST) -> float:
    """resources.limits.cpu in CPUs: "1" is 1.0, "500m" is 0.5."""
    limit = str(appserver_container(manifest)["resources"]["limits"]["cpu"])
    return int(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)


class CpuLimit:
    """A cgroup with a CFS quota of `cpus`; `wrap(command)` starts a command inside it.

    Needs root and the cpu controller (cgroup v2 or v1); `available` says whether it was
    made, and `why_not` why not, so a run without it says what it measured.
    """

    def __init__(self, cpus: float, name: str = f"yelb-bench-{os.getpid()}"):
        self.cpus = cpus
        self.path: Path | None = None
        self.why_not = ""
        quota = str(round(cpus * CFS_PERIOD_US))
        v2_controllers = CGROUP_V2 / "cgroup.subtree_control"
        try:
            if v2_controllers.exists() and "cpu" in v2_controllers.read_text().split():
                self.path = CGROUP_V2 / name
                self.path.mkdir()
                (self.path / "cpu.max").write_text(f"{quota} {CFS_PERIOD_US}")
            else:
                self.path = CGROUP_V1_CPU / name
                self.path.mkdir()
                (self.path / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(quota)
        except OSError as failure:
            self.remove()
            self.why_not = f"no CPU limit applied ({failure.strerror}: needs root and the cgroup cpu controller)"

    @property
    def available(self) -> bool:
        return self.path is not None

    def wrap(self, command: list[str]) -> list[str]:
        if not self.available:
            return command
        # The shell joins the cgroup, then becomes the command: everything it forks stays inside.
        return ["sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs"), *command]

    def remove(self) -> None:
        if self.path is not None:
            try:
                self.path.rmdir()
            except FileNotFoundError:
                pass
            self.path = None
