"""How many CPUs this process may use: the container's CPU limit, not the host's cores.

A container limited to one CPU on a 64-core node still sees 64 cores through
os.cpu_count(); sizing gunicorn from that starts dozens of workers that share one
CPU's time and each hold their own memory. The limit is in the cgroup: cpu.max
(cgroup v2: "<quota> <period>" or "max <period>") or cpu.cfs_quota_us and
cpu.cfs_period_us (cgroup v1, -1 for none).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = "/sys/fs/cgroup"


def quota(cgroup_root: str = CGROUP_ROOT) -> float | None:
    """The cgroup's CPU quota in CPUs (1.5 for "150000 100000"), or None when unlimited or unknown."""
    root = Path(cgroup_root)
    try:
        limit, period = (root / "cpu.max").read_text().split()[:2]  # cgroup v2
    except (OSError, ValueError):
        try:  # cgroup v1
            limit = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        cpus = int(limit) / int(period)
    except (ValueError, ZeroDivisionError):  # "max", or a file we cannot read as numbers
        return None
    return cpus if cpus > 0 else None


def available_cpus(cgroup_root: str = CGROUP_ROOT) -> int:
    """Whole CPUs to size for: the quota rounded up, at most the CPUs this process may run on."""
    usable = len(os.sched_getaffinity(0))
    limit = quota(cgroup_root)
    return min(usable, math.ceil(limit)) if limit else usable
