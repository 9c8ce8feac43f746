"""Kubernetes renders (Kustomize overlays, Helm value sets) as Deployments."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import helm_python
import yaml

from .. import renders
from . import PUBLIC_REGISTRY, PUBLIC_TAG, RETARGET_REGISTRY, RETARGET_TAG, Deployment, Tier, Value

# Kustomize's one command: it points the private-registry component at a registry and tag.
SET_REGISTRY = renders.KUSTOMIZE_DIR / "set-registry.sh"
PRIVATE_REGISTRY = renders.KUSTOMIZE_DIR / "components" / "private-registry"
# Helm's pair, as dotted value paths.
HELM_KNOBS = ("image.registry", "image.tag")
# The chart's values for the room's settings (under appserver).
HELM_ROOM = {"YELB_OPTIONS": "options", "YELB_QUESTION": "question", "YELB_PUBLIC_URL": "publicUrl"}


def env_of(container: dict, config_maps: dict[str, dict]) -> dict[str, Value]:
    env = {}
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = Value(literal=str(entry["value"]))
        elif "fieldRef" in entry["valueFrom"]:  # the downward API: the kubelet fills it in
            env[entry["name"]] = Value(dynamic=True, source=entry["valueFrom"]["fieldRef"]["fieldPath"])
        elif "configMapKeyRef" in entry["valueFrom"]:  # rendered beside it: the value is known
            ref = entry["valueFrom"]["configMapKeyRef"]
            env[entry["name"]] = Value(literal=config_maps[ref["name"]][ref["key"]])
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
    config_maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    for service in services:
        selector = service["spec"]["selector"].items()
        (spec,) = [spec for labels, spec in pods if selector <= labels.items()]
        (container,) = spec["containers"]
        tiers[service["metadata"]["name"]] = Tier(
            service=service["metadata"]["name"], image=container["image"], env=env_of(container, config_maps),
            ports={port["port"] for port in service["spec"]["ports"]},
            listens={port["containerPort"] for port in container.get("ports", [])},
            http_checks=probe_paths(container))
    return Deployment(name=name, tiers=tiers, services={s["metadata"]["name"] for s in services},
                      registry=registry, tag=tag)


@functools.cache
def retargeted_kustomize_text() -> str:
    """The private-registry overlay after the one command, run on a copy of the tree."""
    with tempfile.TemporaryDirectory(prefix="yelb-kustomize-") as scratch:
        tree = Path(scratch) / "kubernetes"
        shutil.copytree(renders.KUSTOMIZE_DIR, tree)
        subprocess.run([str(tree / SET_REGISTRY.name), RETARGET_REGISTRY, RETARGET_TAG], check=True,
                       capture_output=True, text=True, timeout=30)
        result = subprocess.run(["kubectl", "kustomize", str(tree / "overlays" / "private-registry")],
                                capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def shipped_private_registry() -> tuple[str, str]:
    """(registry, tag) the private-registry component ships with, before the command."""
    component = yaml.safe_load((PRIVATE_REGISTRY / "kustomization.yaml").read_text())
    (ui,) = [image for image in component["images"] if image["name"].endswith("/yelb-ui")]
    return ui["newName"].rsplit("/", 1)[0], str(ui["newTag"])


@functools.cache
def room_kustomize_text(overlay: str, room: tuple[tuple[str, str], ...]) -> str:
    """`overlay` under an overlay of the speaker's that merges the room into the
    yelb-room ConfigMap, as the README shows (on a copy of the tree)."""
    with tempfile.TemporaryDirectory(prefix="yelb-kustomize-") as scratch:
        tree = Path(scratch) / "kubernetes"
        shutil.copytree(renders.KUSTOMIZE_DIR, tree)
        target = renders.kustomize_targets()[overlay].relative_to(renders.KUSTOMIZE_DIR)
        speaker = tree / "speaker" / "room"
        speaker.mkdir(parents=True)
        (speaker / "kustomization.yaml").write_text(yaml.safe_dump({
            "apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "resources": [f"../../{target}"],
            "configMapGenerator": [{"name": "yelb-room", "behavior": "merge",
                                    "literals": [f"{name}={value}" for name, value in room]}]}))
        result = subprocess.run(["kubectl", "kustomize", str(speaker)],
                                capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def kustomize(overlay: str):
    def load(retarget: bool, room: dict[str, str] | None = None) -> Deployment:
        if room:
            docs = [doc for doc in yaml.safe_load_all(room_kustomize_text(overlay, tuple(room.items()))) if doc]
            return from_documents(f"kustomize/{overlay} with a room", docs, PUBLIC_REGISTRY, PUBLIC_TAG)
        if retarget:
            docs = [doc for doc in yaml.safe_load_all(retargeted_kustomize_text()) if doc]
            return from_documents("kustomize/private-registry", docs, RETARGET_REGISTRY, RETARGET_TAG)
        kustomization = yaml.safe_load((renders.kustomize_targets()[overlay] / "kustomization.yaml").read_text())
        private = any(c.endswith("components/private-registry") for c in kustomization.get("components", []))
        registry, tag = shipped_private_registry() if private else (PUBLIC_REGISTRY, PUBLIC_TAG)
        deployment = from_documents(f"kustomize/{overlay}", renders.kustomize_docs(overlay), registry, tag)
        deployment.image_knobs = {SET_REGISTRY.name} if SET_REGISTRY.exists() else set()
        return deployment
    return load


def merged(base: dict, override: dict) -> dict:
    """Values merged as Helm merges a --set over a values file: maps key by key."""
    result = dict(base)
    for key, value in override.items():
        result[key] = merged(result.get(key, {}), value) if isinstance(value, dict) else value
    return result


@functools.cache
def _helm_render(value_set: str, retarget: bool, room: tuple[tuple[str, str], ...] = ()) -> tuple[dict, ...]:
    values = renders.HELM_VALUE_SETS[value_set]
    if retarget:
        values = merged(values, {"image": {"registry": RETARGET_REGISTRY, "tag": RETARGET_TAG}})
    if room:
        values = merged(values, {"appserver": {HELM_ROOM[name]: value for name, value in room}})
    with helm_python.Chart.load(renders.CHART_DIR) as chart:
        rendered = chart.render(values, name=renders.RELEASE, namespace=renders.NAMESPACE, is_install=True)
    return tuple(doc for path, text in sorted(rendered.items()) if path.endswith(".yaml")
                 for doc in yaml.safe_load_all(text) if doc)


def helm_image_knobs() -> set[str]:
    """Value paths that say where images come from: the image map's registry and
    tag, and any key elsewhere naming a registry, repository, image or tag (pull
    policy and secrets say how to pull, not from where)."""
    found = set()

    def walk(values: dict, path: tuple[str, ...]) -> None:
        for key, value in values.items():
            if isinstance(value, dict):
                walk(value, (*path, key))
            elif key in ("registry", "repository", "image", "tag"):
                found.add(".".join((*path, key)))

    walk(yaml.safe_load((renders.CHART_DIR / "values.yaml").read_text()), ())
    return found


def helm(value_set: str):
    def load(retarget: bool, room: dict[str, str] | None = None) -> Deployment:
        image = renders.HELM_VALUE_SETS[value_set].get("image", {})
        registry, tag = ((RETARGET_REGISTRY, RETARGET_TAG) if retarget else
                         (image.get("registry") or PUBLIC_REGISTRY, image.get("tag") or PUBLIC_TAG))
        deployment = from_documents(f"helm/{value_set}{' retargeted' if retarget else ''}",
                                    list(_helm_render(value_set, retarget, tuple((room or {}).items()))),
                                    registry, tag)
        deployment.image_knobs = helm_image_knobs()
        return deployment
    return load
