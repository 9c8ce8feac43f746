"""The benchmarks' replica is the Kubernetes base's: its settings, and its CPU limit applied."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bench.kubernetes_replica import MANIFEST, CpuLimit, cpu_limit, gunicorn_env


def test_the_replica_settings_come_from_the_manifest():
    # One worker for the one-CPU limit; the threads are the image's default.
    assert gunicorn_env() == {"YELB_APPSERVER_WORKERS": "1"}
    assert cpu_limit() == 1.0


@pytest.mark.parametrize(("limit", "cpus"), [('"1"', 1.0), ("500m", 0.5), ("2", 2.0)])
def test_cpu_limits_are_read_in_both_notations(tmp_path: Path, limit: str, cpus: float):
    manifest = tmp_path / "appserver.yaml"
    manifest.write_text(MANIFEST.read_text().replace('cpu: "1"', f"cpu: {limit}"))
    assert cpu_limit(manifest) == cpus


@pytest.mark.skipif(os.geteuid() != 0, reason="a cgroup of its own needs root")
def test_a_wrapped_command_runs_inside_a_cgroup_with_the_quota():
    limit = CpuLimit(0.5, name=f"yelb-test-{os.getpid()}")
    assert limit.available, limit.why_not
    try:
        quota_files = [limit.path / "cpu.max"] if (limit.path / "cpu.max").exists() else [
            limit.path / "cpu.cfs_quota_us", limit.path / "cpu.cfs_period_us"]
        assert " ".join(path.read_text().strip() for path in quota_files) == "50000 100000"
        membership = subprocess.run(limit.wrap(["cat", "/proc/self/cgroup"]), capture_output=True,
                                    text=True, check=True).stdout
        assert f"/yelb-test-{os.getpid()}\n" in membership
    finally:
        limit.remove()
    assert not limit.available


def test_without_rights_the_limit_says_why_and_wraps_nothing(tmp_path: Path, monkeypatch):
    import bench.kubernetes_replica as module

    monkeypatch.setattr(module, "CGROUP_V2", tmp_path / "absent")
    monkeypatch.setattr(module, "CGROUP_V1_CPU", tmp_path / "absent" / "cpu")
    limit = CpuLimit(1)
    assert not limit.available and "no CPU limit applied" in limit.why_not
    assert limit.wrap(["true"]) == ["true"]
