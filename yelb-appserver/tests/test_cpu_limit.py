"""The CPU limit is read from real cgroup files (v2 and v1) written to a folder."""

import os

import pytest

from yelb_appserver import config
from yelb_appserver.cpu_limit import available_cpus, quota

HOST_CPUS = len(os.sched_getaffinity(0))


def cgroup(tmp_path, files: dict[str, str]) -> str:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


@pytest.mark.parametrize("files, cpus", [
    ({"cpu.max": "150000 100000\n"}, 1.5),
    ({"cpu.max": "50000 100000\n"}, 0.5),
    ({"cpu.max": "max 100000\n"}, None),
    ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
    ({}, None),
    ({"cpu.max": "garbage\n"}, None),
])
def test_quota_is_read_from_cgroup_v2_or_v1(tmp_path, files, cpus):
    assert quota(cgroup(tmp_path, files)) == cpus


def test_a_fraction_of_a_cpu_counts_as_one(tmp_path):
    assert available_cpus(cgroup(tmp_path, {"cpu.max": "50000 100000\n"})) == 1


def test_a_quota_above_the_usable_cpus_is_capped_by_them(tmp_path):
    assert available_cpus(cgroup(tmp_path, {"cpu.max": f"{(HOST_CPUS + 3) * 100000} 100000\n"})) == HOST_CPUS


def test_without_a_quota_every_usable_cpu_counts(tmp_path):
    assert available_cpus(str(tmp_path)) == HOST_CPUS


@pytest.mark.parametrize("cpu_max, workers", [("100000 100000\n", 1), ("50000 100000\n", 1), ("max 100000\n", None)])
def test_the_default_is_one_worker_per_cpu_of_the_limit(tmp_path, monkeypatch, cpu_max, workers):
    root = cgroup(tmp_path, {"cpu.max": cpu_max})
    monkeypatch.setattr(config, "available_cpus", lambda: available_cpus(root))
    assert config.Config.from_env({}).worker_processes == min(workers or HOST_CPUS, config.MAX_DEFAULT_WORKERS)
