"""What the API server's controllers would create from the rendered objects:
pods from Deployments, StatefulSets and bare Pods (names as Kubernetes forms
them), and each container's environment as the kubelet builds it."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from dataclasses import dataclass, field

HOOK = "helm.sh/hook"


# The stand-in's one node, as spec.nodeName gives it to the downward API.
NODE_NAME = "stand-in-node"
# Every kubelet gives every container the API server's Service address, service links or not;
# nothing listens there in the stand-in (no Yelb pod calls the API).
API_SERVER_ENV = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
# metadata.labels['key'] in a fieldRef: a label the pod lacks reads as empty, as on a kubelet.
LABEL_FIELD = re.compile(r"^metadata\.labels\['([^']+)'\]$")


class ConfigError(Exception):
    """What the kubelet reports as CreateContainerConfigError."""


@dataclass
class Pod:
    name: str
    namespace: str
    labels: dict
    spec: dict
    owner: str  # "Deployment/yelb-ui", "Pod/yelb-test-vote", ...
    claims: dict = field(default_factory=dict)  # volume name -> PVC name (volumeClaimTemplates)
    subdomain: str | None = None  # a StatefulSet's serviceName
    ip: str = ""
    sandbox: str = ""
    containers: dict = field(default_factory=dict)  # container name -> docker container name
    ready: bool = False


def _suffix(length: int) -> str:
    # The alphabet Kubernetes uses for generated names (no vowels, no 0/1/3).
    return "".join(random.choices("bcdfghjklmnpqrstvwxz2456789", k=length))


def _template_hash(template: dict) -> str:
    return hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]


def pods_from(doc: dict, namespace: str) -> list[Pod]:
    """The pods a workload object becomes; [] for kinds that are not workloads."""
    kind, meta = doc["kind"], doc["metadata"]
    namespace = meta.get("namespace", namespace)
    owner = f"{kind}/{meta['name']}"
    if kind == "Pod":
        return [Pod(meta["name"], namespace, meta.get("labels", {}), doc["spec"], owner)]
    if kind not in ("Deployment", "StatefulSet"):
        return []
    template, replicas = doc["spec"]["template"], doc["spec"].get("replicas", 1)
    labels = template["metadata"].get("labels", {})
    if kind == "Deployment":
        prefix = f"{meta['name']}-{_template_hash(template)}"
        return [Pod(f"{prefix}-{_suffix(5)}", namespace, labels, template["spec"], owner)
                for _ in range(replicas)]
    claim_names = [claim["metadata"]["name"] for claim in doc["spec"].get("volumeClaimTemplates", [])]
    pods = []
    for ordinal in range(replicas):
        name = f"{meta['name']}-{ordinal}"
        pods.append(Pod(name, namespace, labels, template["spec"], owner,
                        claims={claim: f"{claim}-{name}" for claim in claim_names},
                        subdomain=doc["spec"].get("serviceName")))
    return pods


def is_test_hook(doc: dict) -> bool:
    hooks = doc["metadata"].get("annotations", {}).get(HOOK, "")
    return any(hook.strip() in ("test", "test-success") for hook in hooks.split(","))


# --- environment --------------------------------------------------------------------

_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined names are replaced, others kept, $$ escapes."""
    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))
    return _REFERENCE.sub(replace, text)


def secret_data(secret: dict) -> dict[str, str]:
    data = {key: base64.b64decode(value).decode() for key, value in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


def service_links(services: list[dict], addresses: dict[str, str]) -> dict[str, str]:
    """The variables the kubelet injects for every Service of the namespace that has a
    cluster IP (enableServiceLinks, on by default): NAME_SERVICE_HOST, NAME_PORT=tcp://..."""
    env = {}
    for service in services:
        address = addresses.get(service["metadata"]["name"])
        if not address:
            continue
        name = service["metadata"]["name"].upper().replace("-", "_")
        ports = service["spec"].get("ports", [])
        for index, port in enumerate(ports):
            protocol = port.get("protocol", "TCP")
            url = f"{protocol.lower()}://{address}:{port['port']}"
            if index == 0:
                env.update({f"{name}_SERVICE_HOST": address, f"{name}_SERVICE_PORT": str(port["port"]),
                            f"{name}_PORT": url})
            if port.get("name"):
                env[f"{name}_SERVICE_PORT_{port['name'].upper().replace('-', '_')}"] = str(port["port"])
            prefix = f"{name}_PORT_{port['port']}_{protocol}"
            env.update({prefix: url, f"{prefix}_PROTO": protocol.lower(),
                        f"{prefix}_PORT": str(port["port"]), f"{prefix}_ADDR": address})
    return env


def container_env(pod: Pod, container: dict, objects: dict, links: dict[str, str]) -> dict[str, str]:
    """The container's environment: Service links first, then envFrom, then env, each
    value expanded against what came before. objects maps (kind, namespace, name) -> doc."""
    env = {**(links if pod.spec.get("enableServiceLinks", True) else {}), **API_SERVER_ENV}

    def source(kind: str, name: str, optional: bool) -> dict[str, str] | None:
        doc = objects.get((kind, pod.namespace, name))
        if doc is None:
            if optional:
                return None
            raise ConfigError(f"{kind} {pod.namespace}/{name} not found (referenced by {pod.owner})")
        return secret_data(doc) if kind == "Secret" else dict(doc.get("data") or {})

    for item in container.get("envFrom", []):
        for kind, key in (("Secret", "secretRef"), ("ConfigMap", "configMapRef")):
            if key in item:
                values = source(kind, item[key]["name"], item[key].get("optional", False)) or {}
                env.update({item.get("prefix", "") + name: value for name, value in values.items()})
    fields = {"metadata.name": pod.name, "metadata.namespace": pod.namespace, "status.podIP": pod.ip,
              "spec.nodeName": NODE_NAME, "spec.serviceAccountName": pod.spec.get("serviceAccountName", "default")}
    for item in container.get("env", []):
        name, value_from = item["name"], item.get("valueFrom")
        if value_from is None:
            env[name] = expand(str(item.get("value", "")), env)
        elif "fieldRef" in value_from:
            path = value_from["fieldRef"]["fieldPath"]
            label = LABEL_FIELD.match(path)
            if label:
                env[name] = pod.labels.get(label[1], "")
            elif path in fields:
                env[name] = fields[path]
            else:
                raise ConfigError(f"env {name}: fieldRef {path} is not modeled by this stand-in")
        else:
            kind, ref = next(((kind, value_from[key]) for kind, key in
                              (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef"))
                              if key in value_from), (None, None))
            if kind is None:
                raise ConfigError(f"env {name}: valueFrom {sorted(value_from)} is not modeled by this stand-in")
            values = source(kind, ref["name"], ref.get("optional", False))
            if values is None:
                continue
            if ref["key"] not in values:
                if ref.get("optional", False):
                    continue
                raise ConfigError(f"env {name}: {kind} {ref['name']} has no key {ref['key']!r}")
            env[name] = values[ref["key"]]
    return env
