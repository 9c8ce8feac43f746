"""Cluster DNS stand-in: a real dnsmasq that, like CoreDNS, answers only fully
qualified `<service>.<namespace>.svc.cluster.local` names (and StatefulSet pod
names under a headless Service). A bare name such as `yelb-appserver` gets
NXDOMAIN: only a client that applies the pod's search list finds the Service."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

DOMAIN = "cluster.local"


def service_fqdn(service: str, namespace: str) -> str:
    return f"{service}.{namespace}.svc.{DOMAIN}"


def search_list(namespace: str) -> list[str]:
    """The kubelet's search list for a pod in this namespace (ClusterFirst policy)."""
    return [f"{namespace}.svc.{DOMAIN}", f"svc.{DOMAIN}", DOMAIN]


class ClusterDNS:
    def __init__(self, address: str):
        self.address = address
        self.workdir = Path(tempfile.mkdtemp(prefix="yelb-cluster-dns."))
        self.records = self.workdir / "records"
        self.log = self.workdir / "queries.log"
        self.records.write_text("")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([
            "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--pid-file=", "--user=root",
            "--no-resolv", "--no-hosts", "--bind-interfaces", f"--listen-address={self.address}",
            # Every name it does not hold is answered NXDOMAIN (or an empty AAAA), as CoreDNS
            # does for a bare name; without --local dnsmasq REFUSES, and `--local=//` still
            # refuses dotless names in dnsmasq 2.90.
            f"--local=/{DOMAIN}/", "--local=/#/", "--cache-size=0",
            f"--addn-hosts={self.records}", "--log-queries", f"--log-facility={self.log}",
        ], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(0.5)
        if self.process.poll() is not None:
            raise RuntimeError(f"dnsmasq did not start: {self.process.stderr.read().decode().strip()}")

    def publish(self, records: dict[str, list[str]]) -> None:
        """Replaces every record (name -> addresses) and has dnsmasq reread them."""
        lines = [f"{address} {name}" for name, addresses in sorted(records.items())
                 for address in addresses]
        self.records.write_text("".join(line + "\n" for line in lines))
        if self.process:
            self.process.send_signal(signal.SIGHUP)

    def recent_queries(self, count: int = 15) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-count:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)
