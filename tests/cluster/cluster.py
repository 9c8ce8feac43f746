"""One node's worth of cluster: the Docker bridge as the pod network, cluster
DNS, Service virtual IPs, and the kubelet. `Deployment` runs one render in it
the way `kubectl apply` would end up running it, and tears it down."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import time
from dataclasses import dataclass

from tests.support.dnsmasq import ClusterDns, service_fqdn

from . import proxy
from .kubelet import Kubelet, ProbeState, container_port, docker
from .pods import ConfigError, Pod, is_test_hook, pods_from, service_links

# Kinds that only an API server, a controller or a CNI would act on.
NOT_MODELED = {"Ingress", "NetworkPolicy", "HorizontalPodAutoscaler", "PodDisruptionBudget",
               "ServiceMonitor", "Namespace", "ServiceAccount"}


@dataclass
class Render:
    name: str  # "kustomize/base", "helm/demo", ...
    namespace: str  # for objects that name none
    docs: list[dict]


class Cluster:
    """Owns what lives for the whole run: addresses on the bridge and the DNS server."""

    def __init__(self, images: dict[str, str], pause_image: str):
        bridge = json.loads(docker("network", "inspect", "bridge"))[0]
        self.bridge = bridge["Options"]["com.docker.network.bridge.name"]
        subnet = ipaddress.ip_network(bridge["IPAM"]["Config"][0]["Subnet"])
        # Service addresses from the top of the bridge's subnet; Docker hands pods the bottom.
        self._candidates = (str(subnet[-2 - i]) for i in range(250))
        self._added: list[str] = []
        self.images = images
        self.pause_image = pause_image
        self.dns = ClusterDns(address=self.take_address()).start()

    def take_address(self) -> str:
        in_use = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout
        address = next(a for a in self._candidates if f" {a}/" not in in_use)
        proxy.add_address(address, self.bridge)
        self._added.append(address)
        return address

    def close(self) -> None:
        self.dns.stop()
        for address in self._added:
            proxy.remove_address(address, self.bridge)


class Deployment:
    """A render running in the cluster: Services first (as kubectl orders them), then pods."""

    def __init__(self, cluster: Cluster, render: Render, prefix: str):
        self.cluster, self.render = cluster, render
        self.objects = {(doc["kind"], doc["metadata"].get("namespace", render.namespace), doc["metadata"]["name"]): doc
                        for doc in render.docs}
        self.kubelet = Kubelet(prefix, cluster.dns.address, cluster.pause_image, cluster.images, self.objects)
        self.services = [doc for doc in render.docs if doc["kind"] == "Service"]
        self.addresses: dict[tuple[str, str], str] = {}  # (namespace, service) -> virtual IP
        self.forwarders: dict[tuple[str, str, int], proxy.ServicePort] = {}
        self.pods: list[Pod] = []
        self.hook_docs = [doc for doc in render.docs if is_test_hook(doc)]
        self.not_modeled = sorted(f"{kind} {name}" for kind, _, name in self.objects if kind in NOT_MODELED)

    def namespace_of(self, doc: dict) -> str:
        return doc["metadata"].get("namespace", self.render.namespace)

    def up(self) -> list[str]:
        """Starts everything; returns one line per pod that could not be created."""
        for service in self.services:
            if service["spec"].get("clusterIP") == "None" or service["spec"].get("type") == "ExternalName":
                continue
            key = (self.namespace_of(service), service["metadata"]["name"])
            self.addresses[key] = address = self.cluster.take_address()
            for port in service["spec"].get("ports", []):
                self.forwarders[(*key, port["port"])] = proxy.ServicePort(address, port["port"])
        self.publish_dns()
        errors = []
        for doc in self.render.docs:
            if not is_test_hook(doc):
                for pod in pods_from(doc, self.render.namespace):
                    errors += self.start(pod)
        self.publish_dns()  # headless Services that publish pods before they are Ready
        return errors

    def start(self, pod: Pod) -> list[str]:
        self.pods.append(pod)
        namespace_services = [s for s in self.services if self.namespace_of(s) == pod.namespace]
        links = service_links(namespace_services, {name: ip for (ns, name), ip in self.addresses.items()
                                                   if ns == pod.namespace})
        try:
            self.kubelet.start(pod, links)
        except (ConfigError, RuntimeError) as error:
            return [f"pod {pod.namespace}/{pod.name}: {error}"]
        return []

    def selects(self, service: dict, pod: Pod) -> bool:
        selector = service["spec"].get("selector")
        return bool(selector) and self.namespace_of(service) == pod.namespace and \
            all(pod.labels.get(key) == value for key, value in selector.items())

    def add_endpoints(self, pod: Pod) -> None:
        for service in self.services:
            key = (self.namespace_of(service), service["metadata"]["name"])
            if key not in self.addresses or not self.selects(service, pod):
                continue
            for port in service["spec"].get("ports", []):
                target = port.get("targetPort", port["port"])
                number = next((container_port(c, target) for c in pod.spec["containers"]
                               if container_port(c, target)), None)
                if number:
                    self.forwarders[(*key, port["port"])].endpoints.append((pod.ip, number))

    def publish_dns(self) -> None:
        records = {service_fqdn(name, ns): [ip] for (ns, name), ip in self.addresses.items()}
        for service in self.services:
            if service["spec"].get("clusterIP") != "None":
                continue
            name, ns = service["metadata"]["name"], self.namespace_of(service)
            everyone = service["spec"].get("publishNotReadyAddresses", False)
            listed = [pod for pod in self.pods if pod.ip and (pod.ready or everyone) and self.selects(service, pod)]
            records[service_fqdn(name, ns)] = [pod.ip for pod in listed]
            for pod in listed:  # StatefulSet pods under their governing headless Service
                if pod.subdomain == name:
                    records[f"{pod.name}.{service_fqdn(name, ns)}"] = [pod.ip]
        self.cluster.dns.set_records({name: ips for name, ips in records.items() if ips})

    def wait_ready(self, timeout: float) -> dict[str, str]:
        """Probes until every pod is Ready; returns pod -> why not, for those that never were."""
        started = time.monotonic()
        states = {pod.name: [ProbeState(c, started) for c in pod.spec["containers"]]
                  for pod in self.pods if pod.containers}
        while time.monotonic() - started < timeout:
            waiting = [pod for pod in self.pods if pod.containers and not pod.ready
                       and not any(state.gave_up for state in states[pod.name])]
            if not waiting:
                break
            for pod in waiting:
                for state in states[pod.name]:
                    state.tick(self.kubelet, pod, time.monotonic())
                if all(state.ready for state in states[pod.name]):
                    pod.ready = True
                    self.add_endpoints(pod)
                    self.publish_dns()
            time.sleep(0.5)
        return {pod.name: "; ".join(s.last_error for s in states.get(pod.name, []) if not s.ready) or "not created"
                for pod in self.pods if not pod.ready}

    def service_url(self, app_name: str) -> str | None:
        """http://<virtual IP>:<port> of the Service that selects the pods of this app."""
        for service in self.services:
            key = (self.namespace_of(service), service["metadata"]["name"])
            if service["spec"].get("selector", {}).get("app.kubernetes.io/name") == app_name and key in self.addresses:
                return f"http://{self.addresses[key]}:{service['spec']['ports'][0]['port']}"
        return None

    def run_test_hook(self, doc: dict, timeout: float) -> tuple[int | None, str]:
        """Runs a `helm test` pod to completion: (exit code or None on timeout, its logs)."""
        [pod] = pods_from(doc, self.render.namespace)
        errors = self.start(pod)
        if errors:
            return None, errors[0]
        deadline = time.monotonic() + timeout
        while (code := self.kubelet.exit_code(pod)) is None and time.monotonic() < deadline:
            time.sleep(1)
        return code, self.kubelet.logs(pod)

    def down(self) -> None:
        for pod in self.pods:
            self.kubelet.stop(pod)
        self.kubelet.remove_volumes()
        for forwarder in self.forwarders.values():
            forwarder.close()
        self.cluster.dns.set_records({})
