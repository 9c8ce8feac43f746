"""The Kustomize base, its overlays and components render to what they promise."""

from __future__ import annotations

from .kustomize_components import component_renders
from .renders import KUSTOMIZE_DIR, kustomize_docs, kustomize_targets, kustomize_text, pod_specs


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def images(docs):
    return {c["image"] for _, spec in pod_specs(docs) for c in spec["containers"]}


def test_all_in_one_file_is_the_base_render():
    committed = (KUSTOMIZE_DIR / "yelb.yaml").read_text()
    assert committed == kustomize_text("base"), "yelb.yaml is stale: run `make render-k8s`"


def test_base_is_the_four_tiers_in_a_restricted_namespace():
    docs = kustomize_docs("base")
    (namespace,) = by_kind(docs, "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert set(by_kind(docs, "Deployment")) == {"yelb-ui", "yelb-appserver", "redis-server"}
    assert set(by_kind(docs, "StatefulSet")) == {"yelb-db"}
    assert images(docs) == {"ghcr.io/yelb-project/yelb-ui:latest", "ghcr.io/yelb-project/yelb-appserver:latest",
                            "ghcr.io/yelb-project/yelb-db:latest", "redis:7-alpine"}
    (secret,) = by_kind(docs, "Secret").values()
    refs = {env["valueFrom"]["secretKeyRef"]["name"] for _, spec in pod_specs(docs)
            for c in spec["containers"] for env in c.get("env", []) if "valueFrom" in env}
    assert refs == {secret["metadata"]["name"]}


def test_laptop_overlay_publishes_the_ui_on_a_node_port():
    ui = by_kind(kustomize_docs("laptop"), "Service")["yelb-ui"]
    assert ui["spec"]["type"] == "NodePort" and ui["spec"]["ports"][0]["nodePort"] == 30080


def test_production_overlay_scales_exposes_isolates_and_annotates_for_scrapes():
    docs = kustomize_docs("production")
    ingress = by_kind(docs, "Ingress")["yelb-ui"]["spec"]
    assert ingress["rules"][0]["host"] == ingress["tls"][0]["hosts"][0] == "yelb.prod.example.com"
    assert ingress["tls"][0]["secretName"] == "yelb-prod-tls"
    assert ingress["ingressClassName"] == "nginx"
    appserver = by_kind(docs, "Deployment")["yelb-appserver"]
    assert appserver["spec"]["template"]["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert by_kind(docs, "HorizontalPodAutoscaler")["yelb-appserver"]["spec"]["minReplicas"] == 3
    assert by_kind(docs, "PodDisruptionBudget")["yelb-appserver"]["spec"]["minAvailable"] == 2
    assert "default-deny" in by_kind(docs, "NetworkPolicy")


def test_service_monitor_is_an_opt_in_component():
    renders = component_renders()
    assert "yelb-appserver" in by_kind(renders["kustomize/base+service-monitor"], "ServiceMonitor")
    holding = [name for name, docs in renders.items() if by_kind(docs, "ServiceMonitor")]
    assert holding == ["kustomize/base+service-monitor", "kustomize/base+all-components"]


def test_private_registry_rewrites_every_image_to_one_registry_and_tag():
    found = images(kustomize_docs("private-registry"))
    assert len(found) == 4 and all(i.startswith("registry.example.com/yelb/") for i in found), found
    yelb_tags = {i.rsplit(":", 1)[1] for i in found if "/yelb-" in i}
    assert yelb_tags == {"1.0.0"}


def test_components_drop_the_checkov_skips_they_make_moot():
    for name in kustomize_targets():
        docs = kustomize_docs(name)
        annotations = [k for d in docs for k in d["metadata"].get("annotations", {})]
        has_policies = bool(by_kind(docs, "NetworkPolicy"))
        assert ("checkov.io/skip-networkpolicy" in annotations) != has_policies, name
        pinned = all(not i.endswith(":latest") for i in images(docs))
        assert ("checkov.io/skip-tag" in annotations) != pinned, name
