"""Where am I: the orchestrator, instance, node, group and zone of this replica.

GET /api/whereami answers with what the platform told the process, and nothing
else (no other environment, no addresses, no secrets). Each deployment format
passes these in: Kubernetes through the downward API, Nomad through its own
NOMAD_* variables plus the node name, Swarm through Go templates in the stack
file, Compose only its name. A value nobody gave is null: the page shows
"unknown", never a guess. The Kubernetes downward API cannot read node labels,
so the zone is known there only where the pod carries a topology zone label.

Only detection lives here (no Flask): config.py uses the parsers at start;
replica.py serves the answer.
"""

from __future__ import annotations

# What each orchestrator calls an instance, its group and its zone.
TERMS = {
    "kubernetes": {"instance": "pod", "group": "namespace", "zone": "zone"},
    "nomad": {"instance": "allocation", "group": "job", "zone": "datacenter"},
    "swarm": {"instance": "task", "group": "service", "zone": "zone"},
    "compose": {"instance": "container", "group": "project", "zone": "zone"},
}
GENERIC_TERMS = {"instance": "instance", "group": "group", "zone": "zone"}

MAX_ORCHESTRATOR_LENGTH = 40
MAX_METADATA_LENGTH = 253  # the longest Kubernetes object name


def parse_orchestrator(value: str) -> str:
    name = value.strip().lower()
    if len(name) > MAX_ORCHESTRATOR_LENGTH or not all(char.isalnum() or char in ".-" for char in name):
        raise ValueError(f"must be a name such as compose or swarm (letters, digits, '.', '-', "
                         f"at most {MAX_ORCHESTRATOR_LENGTH}), got {value[:60]!r}")
    return name


def parse_metadata(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_METADATA_LENGTH or not text.isprintable():
        raise ValueError(f"must be printable and at most {MAX_METADATA_LENGTH} characters")
    return text


def orchestrator(config) -> str | None:
    if config.orchestrator:
        return config.orchestrator
    if config.nomad_alloc_name:
        return "nomad"
    if config.kubernetes_service_host:  # set by the kubelet in every pod
        return "kubernetes"
    return None


def describe(config, hostname: str) -> dict:
    def known(*values: str) -> str | None:
        return next((value for value in values if value), None)

    found = orchestrator(config)
    return {
        "orchestrator": found,
        "hostname": hostname,
        # Without an orchestrator's name, the host name is the instance (a container's id, a pod's name).
        "instance": known(config.instance_name, config.nomad_alloc_name, hostname),
        "node": known(config.node_name),
        "group": known(config.group_name, config.nomad_job_name),
        "zone": known(config.zone, config.nomad_dc),
        "region": known(config.region, config.nomad_region),
        "terms": TERMS.get(found, GENERIC_TERMS),
    }

