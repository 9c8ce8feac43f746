"""Where a replica's memory goes: PSS per process and per kind of mapping, idle and after load.

Starts one replica as the Kubernetes base runs it (appserver_bench.KubernetesReplica) against real
PostgreSQL and Redis, measures, runs a bounded wrk load over every endpoint (--seconds
each, 50 connections), and measures again. For each process it prints PSS split into
anonymous memory (the Python heap), files (libraries) and the rest, and its private dirty
memory. Run as root, it also sorts each worker's anonymous pages by their physical frame
(/proc/<pid>/pagemap) against the master's at the same address:

- shared: still the master's page, counted once for all;
- copied: the worker wrote to a page it got from the master (Python's reference counts
  do that to every object it touches), so the page now exists twice or three times;
- new: memory the worker allocated itself.

    .venv/bin/python bench/replica_memory.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import re
import struct
import time
from collections import Counter
from pathlib import Path

# appserver_bench puts the repository on sys.path for stack.
from appserver_bench import ENDPOINTS, KubernetesReplica, replica_pids, wrk
from bench.kubernetes_replica import CpuLimit, cpu_limit
from stack.services import PostgresServer, RedisServer

PAGE = 4096
MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")
SIZE = re.compile(r"^(Pss|Private_Dirty):\s+(\d+) kB")


def mapping_kind(name: str) -> str:
    if name in ("", "[heap]", "[stack]") or name.startswith("[anon"):
        return "anon"
    return "file" if name.startswith("/") else "other"


def smaps_mib(pid: int) -> Counter:
    """PSS by kind of mapping, and private dirty memory, of one process in MiB."""
    totals, kind = Counter(), "other"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        if mapping := MAPPING.match(line):
            kind = mapping_kind(mapping.group(1))
        elif size := SIZE.match(line):
            key = kind if size.group(1) == "Pss" else "private dirty"
            totals[key] += int(size.group(2)) / 1024
    return totals


def anon_frames(pid: int) -> dict[int, int]:
    """Physical frame of each resident page of the process's writable anonymous mappings, by address."""
    frames = {}
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            fields = line.split(None, 5)
            if "w" not in fields[1] or (len(fields) > 5 and fields[5] != "[heap]"):
                continue
            start, end = (int(bound, 16) for bound in fields[0].split("-"))
            pagemap.seek(start // PAGE * 8)
            entries = pagemap.read((end - start) // PAGE * 8)
            for index, (entry,) in enumerate(struct.iter_unpack("<Q", entries)):
                if entry >> 63:  # present
                    frames[start + index * PAGE] = entry & ((1 << 55) - 1)
    return frames


def copy_on_write_mib(master: int, worker: int) -> dict[str, float] | None:
    """The worker's anonymous pages as shared with the master, copied from it, or new; None
    when the frames are hidden (the kernel shows them to root only)."""
    master_frames = anon_frames(master)
    if not any(master_frames.values()):
        return None
    pages = Counter()
    for address, frame in anon_frames(worker).items():
        inherited = master_frames.get(address)
        pages["new" if inherited is None else "shared" if inherited == frame else "copied"] += 1
    return {kind: pages[kind] * PAGE / 2**20 for kind in ("shared", "copied", "new")}


def report(label: str, master: int) -> None:
    pids = replica_pids(master)
    total = 0.0
    print(f"\n{label}:")
    for pid in pids:
        sizes = smaps_mib(pid)
        pss = sizes["anon"] + sizes["file"] + sizes["other"]
        total += pss
        line = (f"  {'master' if pid == master else 'worker'} {pid}: PSS {pss:5.1f} MiB "
                f"(anon {sizes['anon']:5.1f}, files {sizes['file']:4.1f}, other {sizes['other']:4.1f}); "
                f"private dirty {sizes['private dirty']:5.1f}")
        pages = copy_on_write_mib(master, pid) if pid != master else None
        if pages:
            line += "; anon pages " + ", ".join(f"{kind} {mib:4.1f}" for kind, mib in pages.items())
        print(line)
    print(f"  replica: PSS {total:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="wrk duration per endpoint")
    args = parser.parse_args()
    postgres, redis = PostgresServer().start(), RedisServer().start()
    limit = CpuLimit(cpu_limit())
    app = KubernetesReplica({**postgres.env(), **redis.env()}, limit)
    try:
        app.start()
        time.sleep(0.5)  # the workers finish starting after the first answer
        report("idle", app.pid)
        for _name, method, path in ENDPOINTS:
            wrk(app.url + path, method, args.seconds, 50, 2)
        report(f"after {args.seconds} s of wrk -c50 on each of {len(ENDPOINTS)} endpoints", app.pid)
    finally:
        app.destroy()
        redis.destroy()
        postgres.destroy()
        limit.remove()


if __name__ == "__main__":
    main()
