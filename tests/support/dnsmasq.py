"""Cluster-like DNS for the tests: Debian's dnsmasq answering only the names it is
given, as CoreDNS answers only `<service>.<namespace>.svc.cluster.local` (and
StatefulSet pod names under a headless Service).

Every other name gets NXDOMAIN (`--local=/#/`), so a short name resolves only where a
client applies a search list, exactly as in a pod. `with_resolv_conf` runs a command
with a pod's /etc/resolv.conf bind-mounted in a mount namespace of its own; the
stand-in cluster (tests/cluster) gives its containers the same search list.
Needs root: dnsmasq must listen on port 53, the only port resolv.conf can name.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, Mapping

from stack.services import wait_until

DNSMASQ = "/usr/sbin/dnsmasq"
DOMAIN = "cluster.local"


def service_fqdn(service: str, namespace: str) -> str:
    return f"{service}.{namespace}.svc.{DOMAIN}"


def search_list(namespace: str) -> list[str]:
    """The kubelet's search list for a pod in NAMESPACE (the ClusterFirst DNS policy)."""
    return [f"{namespace}.svc.{DOMAIN}", f"svc.{DOMAIN}", DOMAIN]


def free_loopback_address() -> str:
    """A 127.x address whose DNS port nobody holds yet."""
    for _ in range(50):
        address = f"127.0.53.{random.randint(2, 254)}"
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((address, 53))
            except OSError:
                continue
        return address
    raise RuntimeError("no free 127.0.53.x address for dnsmasq")


class ClusterDns:
    """dnsmasq on ADDRESS:53 (default: a free 127.0.53.x) answering A records for
    `records` (name -> one IPv4 address or several) and nothing else."""

    def __init__(self, records: Mapping[str, str | Iterable[str]] | None = None,
                 address: str | None = None, base_dir: Path | None = None):
        self.address = address or free_loopback_address()
        self._own_dir = base_dir is None
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="yelb-dns-"))
        self.hosts_file = self.base_dir / "records"
        self.log_file = self.base_dir / "dnsmasq.log"
        self.process: subprocess.Popen | None = None
        self.set_records(records or {})

    def set_records(self, records: Mapping[str, str | Iterable[str]]) -> None:
        """Replace the records; a running dnsmasq rereads them on SIGHUP."""
        lines = [f"{ip} {name}\n" for name, ips in sorted(records.items())
                 for ip in ([ips] if isinstance(ips, str) else ips)]
        self.hosts_file.write_text("".join(lines))
        if self.process:
            self.process.send_signal(signal.SIGHUP)

    def start(self) -> "ClusterDns":
        self.process = subprocess.Popen(
            [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
             "--bind-interfaces", f"--listen-address={self.address}", "--port=53",
             f"--addn-hosts={self.hosts_file}",
             # Every other name or type is answered here (NXDOMAIN, NODATA), never refused:
             # nginx takes a refused AAAA query as a failure, and `--local=//` still refuses
             # dotted names in dnsmasq 2.90. No cache, so new records count at once.
             "--local=/#/", "--cache-size=0", "--local-ttl=1", "--log-queries",
             "--log-facility=-", "--user=root", "--pid-file="],
            stdout=open(self.log_file, "ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: b"started, version" in self.log_file.read_bytes()
                   or self.process.poll() is not None, 10, "dnsmasq to start")
        if self.process.poll() is not None:
            raise RuntimeError(f"dnsmasq exited:\n{self.log_file.read_text(errors='replace')}")
        return self

    def recent_queries(self, count: int = 15) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-count:])

    def pod_resolv_conf(self, namespace: str, ndots: int = 5) -> Path:
        """/etc/resolv.conf as the kubelet writes it for a pod in NAMESPACE."""
        path = self.base_dir / f"resolv-{namespace}-{ndots}.conf"
        path.write_text(f"nameserver {self.address}\n"
                        f"search {' '.join(search_list(namespace))}\n"
                        f"options ndots:{ndots}\n")
        return path

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)


def with_resolv_conf(resolv_conf: Path) -> list[str]:
    """A command prefix running the rest with RESOLV_CONF as its /etc/resolv.conf."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', str(resolv_conf)]


def can_serve_dns() -> bool:
    return os.geteuid() == 0 and Path(DNSMASQ).exists()
