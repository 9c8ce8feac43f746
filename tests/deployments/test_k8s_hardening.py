"""Every render (the Kustomize base, overlays and component combinations, the
Helm value sets) is fit for a cluster enforcing the "restricted" Pod Security
Standard, every container has probes and resource bounds, and the objects fit
together the way a real cluster needs them to."""

from __future__ import annotations

import re

import pytest

from .formats.app import ROOT, SETTING_NAMES
from .kustomize_components import component_renders
from .renders import all_renders, pod_specs

RENDERS = {**all_renders(), **component_renders()}
# Volume types the restricted profile admits.
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}
TIERS = {"yelb-ui", "yelb-appserver", "redis-server", "yelb-db"}
# What the appserver and the UI front read from their environment.
YELB_SETTINGS = SETTING_NAMES | set(re.findall(r"\$\{(YELB_[A-Z_]+)",
                                               (ROOT / "yelb-ui" / "nginx" / "render-config.sh").read_text()))


@pytest.fixture(params=sorted(RENDERS))
def docs(request):
    return RENDERS[request.param]


def test_pods_meet_the_restricted_profile(docs):
    for doc, spec in pod_specs(docs):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        pod = spec.get("securityContext", {})
        assert spec.get("automountServiceAccountToken") is False, where
        assert pod.get("runAsNonRoot") is True and pod.get("runAsUser", 0) > 0, where
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, where
        assert not pod.get("sysctls"), where
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(key), f"{where}: {key}"
        for volume in spec.get("volumes", []):
            kinds = set(volume) - {"name"}
            assert kinds <= RESTRICTED_VOLUMES, f"{where}: volume {volume['name']} is {kinds}"
        for container in spec["containers"] + spec.get("initContainers", []):
            security = container.get("securityContext", {})
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("capabilities") == {"drop": ["ALL"]}, where
            assert not security.get("privileged"), where
            assert security.get("runAsUser", 1) != 0 and security.get("runAsNonRoot", True), where
            assert security.get("seccompProfile", {}).get("type", "RuntimeDefault") != "Unconfined", where
            assert not any(p.get("hostPort") for p in container.get("ports", [])), f"{where}: hostPort"
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, f"{where}: {bound}"


def test_long_running_containers_have_probes(docs):
    for doc, spec in pod_specs(docs):
        if doc["kind"] == "Pod":  # the helm test pod runs to completion
            continue
        for container in spec["containers"]:
            assert "livenessProbe" in container and "readinessProbe" in container, container["name"]


def test_every_tier_has_a_service_and_standard_labels(docs):
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert set(services) >= TIERS
    for name in set(services) - TIERS:  # only a StatefulSet's governing Service
        assert services[name]["spec"].get("clusterIP") == "None", name
    for doc in docs:
        labels = doc["metadata"].get("labels", {})
        if doc["kind"] != "Namespace":
            assert {"app.kubernetes.io/name", "app.kubernetes.io/part-of"} <= set(labels), doc["metadata"]["name"]
        assert doc["metadata"].get("namespace", "yelb") == "yelb"


def test_service_selectors_and_ports_hit_their_workload(docs):
    workloads = [(doc["spec"]["template"]["metadata"]["labels"], spec) for doc, spec in pod_specs(docs)
                 if doc["kind"] != "Pod"]
    for service in (d for d in docs if d["kind"] == "Service"):
        selector = service["spec"]["selector"].items()
        matched = [spec for labels, spec in workloads if selector <= labels.items()]
        assert len(matched) == 1, service["metadata"]["name"]
        port_names = {p["name"] for c in matched[0]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in port_names, service["metadata"]["name"]


def test_service_monitors_select_a_service_port(docs):
    services = [d for d in docs if d["kind"] == "Service"]
    for monitor in (d for d in docs if d["kind"] == "ServiceMonitor"):
        selector = monitor["spec"]["selector"]["matchLabels"].items()
        targets = [s for s in services if selector <= s["metadata"]["labels"].items()]
        assert [t["metadata"]["name"] for t in targets] == ["yelb-appserver"]
        ports = {p["name"] for p in targets[0]["spec"]["ports"]}
        assert all(e["port"] in ports and e["path"] == "/metrics" for e in monitor["spec"]["endpoints"])


def test_database_storage_is_persistent_unless_switched_off(docs):
    (db,) = [d for d in docs if d["kind"] == "StatefulSet"]
    data = [v for v in db["spec"]["template"]["spec"].get("volumes", []) if v["name"] == "data"]
    claims = [c["metadata"]["name"] for c in db["spec"].get("volumeClaimTemplates", [])]
    if data:
        assert not claims and ("persistentVolumeClaim" in data[0] or "emptyDir" in data[0])
    else:
        assert claims == ["data"]


def test_network_policies_deny_by_default_when_present(docs):
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    if not policies:
        return
    deny = [p for p in policies if "ingress" not in p["spec"] and "egress" not in p["spec"]]
    assert len(deny) == 1 and set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    covered = {p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") for p in policies}
    assert TIERS <= covered


def selects(selector: dict, labels: dict) -> bool:
    """Whether a label selector (matchLabels, matchExpressions) selects these labels."""
    operators = {"In": lambda key, values: labels.get(key) in values,
                 "NotIn": lambda key, values: labels.get(key) not in values,
                 "Exists": lambda key, _: key in labels,
                 "DoesNotExist": lambda key, _: key not in labels}
    return selector.get("matchLabels", {}).items() <= labels.items() and all(
        operators[e["operator"]](e["key"], e.get("values", [])) for e in selector.get("matchExpressions", []))


def test_autoscaled_deployments_leave_the_replica_count_to_the_autoscaler(docs):
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for hpa in (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments, target
        # Every apply would reset the count the autoscaler chose.
        assert "replicas" not in deployments[target["name"]]["spec"], f"{target['name']} sets replicas beside an HPA"


def test_statefulsets_are_governed_by_a_headless_service(docs):
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    for statefulset in (d for d in docs if d["kind"] == "StatefulSet"):
        name = statefulset["spec"]["serviceName"]
        assert name in services, f"{statefulset['metadata']['name']}: serviceName {name} is not rendered"
        governing = services[name]["spec"]
        assert governing.get("clusterIP") == "None", f"serviceName {name} is not headless"
        pod_labels = statefulset["spec"]["template"]["metadata"]["labels"]
        assert governing["selector"].items() <= pod_labels.items(), f"{name} does not select the StatefulSet's pods"


def test_dns_egress_is_allowed_whatever_serves_cluster_dns(docs):
    """Port 53 to every destination: no rule that depends on the DNS pods' labels,
    which differ between clusters (CoreDNS, kube-dns, node-local caches)."""
    egress_policies = [d["spec"] for d in docs
                       if d["kind"] == "NetworkPolicy" and "Egress" in d["spec"]["policyTypes"]]
    if not egress_policies:
        return
    for doc, spec in pod_specs(docs):
        labels = (doc if doc["kind"] == "Pod" else doc["spec"]["template"])["metadata"].get("labels", {})
        if labels.get("app.kubernetes.io/name") not in ("yelb-ui", "yelb-appserver"):  # the tiers that resolve names
            continue
        rules = [rule for policy in egress_policies if selects(policy["podSelector"], labels)
                 for rule in policy.get("egress", [])]
        open_dns = {(port.get("protocol", "TCP"), port["port"]) for rule in rules if not rule.get("to")
                    for port in rule.get("ports", [])}
        assert {("UDP", 53), ("TCP", 53)} <= open_dns, \
            f"{doc['metadata']['name']}: port 53 (UDP and TCP) is not open to every destination"


def test_ingresses_name_their_class(docs):
    for ingress in (d for d in docs if d["kind"] == "Ingress"):
        assert ingress["spec"].get("ingressClassName"), ingress["metadata"]["name"]


def service_link_variables(service: str) -> set[str]:
    """The variables the kubelet sets in every pod of the namespace for SERVICE
    (docker links style), unless the pod says enableServiceLinks: false."""
    prefix = service.upper().replace("-", "_")
    return {f"{prefix}_SERVICE_HOST", f"{prefix}_SERVICE_PORT", f"{prefix}_PORT"}


def test_service_links_never_land_on_a_yelb_setting(docs):
    # The Service yelb-db gives YELB_DB_PORT=tcp://10.96.0.7:5432, which the appserver refuses
    # as a port; yelb-ui, redis-server and yelb-appserver collide the same way.
    links = set().union(*(service_link_variables(d["metadata"]["name"]) for d in docs if d["kind"] == "Service"))
    for doc, spec in pod_specs(docs):
        if spec.get("enableServiceLinks", True):
            collisions = links & YELB_SETTINGS
            assert not collisions, f"{doc['metadata']['name']}: Service links would set {sorted(collisions)}"
