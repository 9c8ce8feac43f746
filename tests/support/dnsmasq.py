"""Cluster-like DNS for the tests: Debian's dnsmasq answering only the names it is
given, as CoreDNS answers only `<service>.<namespace>.svc.cluster.local`.

Every other name gets NXDOMAIN (`--local=/#/`), so a short name resolves only where a
client applies a search list, exactly as in a pod. `with_resolv_conf` runs a command
with a pod's /etc/resolv.conf bind-mounted in a mount namespace of its own.
Needs root: dnsmasq must listen on port 53, the only port resolv.conf can name.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.support.services import wait_until

DNSMASQ = "/usr/sbin/dnsmasq"


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
    """dnsmasq on ADDRESS:53 answering A records for `records` (name -> IPv4) only."""

    def __init__(self, records: dict[str, str], base_dir: Path | None = None):
        self.address = free_loopback_address()
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="yelb-dns-"))
        self.hosts_file = self.base_dir / "records"
        self.log_file = self.base_dir / "dnsmasq.log"
        self.process: subprocess.Popen | None = None
        self.set_records(records)

    def set_records(self, records: dict[str, str]) -> None:
        """Replace the records; a running dnsmasq rereads them on SIGHUP."""
        self.hosts_file.write_text("".join(f"{ip} {name}\n" for name, ip in records.items()))
        if self.process:
            self.process.send_signal(signal.SIGHUP)

    def start(self) -> "ClusterDns":
        self.process = subprocess.Popen(
            [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--bind-interfaces",
             f"--listen-address={self.address}", "--port=53", f"--addn-hosts={self.hosts_file}",
             # Answer only the records, NXDOMAIN (never REFUSED) for any other name or type: nginx takes
             # a refused AAAA query as a failure.
             "--local=/#/", "--local-ttl=1", "--log-queries",
             "--log-facility=-", "--user=root", "--pid-file="],
            stdout=open(self.log_file, "ab"), stderr=subprocess.STDOUT)
        wait_until(lambda: b"started, version" in self.log_file.read_bytes()
                   or self.process.poll() is not None, 10, "dnsmasq to start")
        if self.process.poll() is not None:
            raise RuntimeError(f"dnsmasq exited:\n{self.log_file.read_text(errors='replace')}")
        return self

    def pod_resolv_conf(self, namespace: str, ndots: int = 5) -> Path:
        """/etc/resolv.conf as the kubelet writes it for a pod in NAMESPACE."""
        path = self.base_dir / f"resolv-{namespace}-{ndots}.conf"
        path.write_text(f"nameserver {self.address}\n"
                        f"search {namespace}.svc.cluster.local svc.cluster.local cluster.local\n"
                        f"options ndots:{ndots}\n")
        return path

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def with_resolv_conf(resolv_conf: Path) -> list[str]:
    """A command prefix running the rest with RESOLV_CONF as its /etc/resolv.conf."""
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/resolv.conf && exec "$@"', str(resolv_conf)]


def can_serve_dns() -> bool:
    return os.geteuid() == 0 and Path(DNSMASQ).exists()
