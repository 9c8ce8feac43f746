"""Kubernetes renders (Kustomize overlays, Helm value sets) as Deployments."""

from __future__ import annotations

import yaml

from .. import renders
from . import PUBLIC_REGISTRY, PUBLIC_TAG, Deployment, Tier, Value

# The placeholders components/private-registry ships with (its README says to edit them).
KUSTOMIZE_REGISTRY = ("registry.example.com/yelb", "1.0.0")


def env_of(container: dict) -> dict[str, Value]:
    env = {}
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = Value(literal=str(entry["value"]))
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            env[entry["name"]] = Value(secret=f"{ref['name']}/{ref['key']}")
    return env


def probe_paths(container: dict) -> set[str]:
    probes = (container.get(kind, {}) for kind in ("startupProbe", "livenessProbe", "readinessProbe"))
    return {probe["httpGet"]["path"] for probe in probes if "httpGet" in probe}


def from_documents(name: str, docs: list[dict], registry: str, tag: str) -> Deployment:
    pods = [(doc["spec"]["template"]["metadata"]["labels"], spec) for doc, spec in renders.pod_specs(docs)
            if doc["kind"] != "Pod"]
    tiers = {}
    services = [d for d in docs if d["kind"] == "Service"]
    for service in services:
        selector = service["spec"]["selector"].items()
        (spec,) = [spec for labels, spec in pods if selector <= labels.items()]
        (container,) = spec["containers"]
        tiers[service["metadata"]["name"]] = Tier(
            service=service["metadata"]["name"], image=container["image"], env=env_of(container),
            ports={port["port"] for port in service["spec"]["ports"]},
            listens={port["containerPort"] for port in container.get("ports", [])},
            http_checks=probe_paths(container))
    return Deployment(name=name, tiers=tiers, services={s["metadata"]["name"] for s in services},
                      registry=registry, tag=tag)


def kustomize(overlay: str):
    def load(retarget: bool) -> Deployment:
        overlay_name = "private-registry" if retarget else overlay
        kustomization = yaml.safe_load((renders.kustomize_targets()[overlay_name] / "kustomization.yaml").read_text())
        private = any(c.endswith("components/private-registry") for c in kustomization.get("components", []))
        registry, tag = KUSTOMIZE_REGISTRY if private else (PUBLIC_REGISTRY, PUBLIC_TAG)
        return from_documents(f"kustomize/{overlay_name}", renders.kustomize_docs(overlay_name), registry, tag)
    return load


def helm(value_set: str):
    def load(retarget: bool) -> Deployment:
        name = "private-registry" if retarget else value_set
        image = {"registry": PUBLIC_REGISTRY, "tag": PUBLIC_TAG, **renders.HELM_VALUE_SETS[name].get("image", {})}
        return from_documents(f"helm/{name}", renders.helm_docs(name), image["registry"], image["tag"])
    return load
