"""The stand-in's own Kubernetes semantics, checked against the documented behaviour
(no Docker needed; `make e2e-cluster` runs the whole thing)."""

import base64

import pytest

from tests.cluster.images import preloaded, pull_policy
from tests.cluster.kubelet import container_port
from tests.cluster.pods import NODE_NAME, ConfigError, Pod, container_env, expand, pods_from, service_links


def test_dollar_paren_expansion_follows_kubernetes():
    env = {"A": "1"}
    assert expand("x-$(A)-$(B)-$$(A)", env) == "x-1-$(B)-$(A)"


def test_service_links_match_the_documented_example():
    # kubernetes.io, "Service" / "Environment variables": redis-primary on 10.0.0.11:6379.
    service = {"metadata": {"name": "redis-primary"}, "spec": {"ports": [{"port": 6379}]}}
    assert service_links([service], {"redis-primary": "10.0.0.11"}) == {
        "REDIS_PRIMARY_SERVICE_HOST": "10.0.0.11",
        "REDIS_PRIMARY_SERVICE_PORT": "6379",
        "REDIS_PRIMARY_PORT": "tcp://10.0.0.11:6379",
        "REDIS_PRIMARY_PORT_6379_TCP": "tcp://10.0.0.11:6379",
        "REDIS_PRIMARY_PORT_6379_TCP_PROTO": "tcp",
        "REDIS_PRIMARY_PORT_6379_TCP_PORT": "6379",
        "REDIS_PRIMARY_PORT_6379_TCP_ADDR": "10.0.0.11",
    }


def _pod(enable_links=True):
    return Pod("web-0", "shop", {}, {"enableServiceLinks": enable_links}, "StatefulSet/web", ip="10.1.2.3")


def test_env_resolves_secrets_fields_and_overrides_links():
    secret = {"data": {"password": base64.b64encode(b"s3cret").decode()}, "stringData": {"user": "u"}}
    container = {"env": [
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "DSN", "value": "$(DB_SERVICE_HOST)/$(PASSWORD)@$(POD)"},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "DB_PORT", "value": "5432"},
    ]}
    links = {"DB_SERVICE_HOST": "10.0.0.5", "DB_PORT": "tcp://10.0.0.5:5432"}
    env = container_env(_pod(), container, {("Secret", "shop", "db"): secret}, links)
    assert env["DSN"] == "10.0.0.5/s3cret@$(POD)"  # POD is defined after DSN
    assert env["POD"] == "web-0" and env["DB_PORT"] == "5432"
    assert "DB_SERVICE_HOST" not in container_env(_pod(enable_links=False), container,
                                                  {("Secret", "shop", "db"): secret}, links)


def test_downward_api_gives_node_labels_and_the_api_server_address_as_a_kubelet_does():
    container = {"env": [
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "TIER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['tier']"}}},
        {"name": "ZONE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['topology.kubernetes.io/zone']"}}},
        {"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
    ]}
    pod = Pod("web-0", "shop", {"tier": "front"}, {"enableServiceLinks": False}, "StatefulSet/web")
    env = container_env(pod, container, {}, {"DB_SERVICE_HOST": "10.0.0.5"})
    assert (env["NODE"], env["TIER"], env["ZONE"], env["NAMESPACE"]) == (NODE_NAME, "front", "", "shop")
    # Service links are off, the API server's address is not.
    assert "DB_SERVICE_HOST" not in env and env["KUBERNETES_SERVICE_HOST"]


def test_an_unmodeled_field_is_a_config_error_naming_it():
    container = {"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}}]}
    with pytest.raises(ConfigError, match="fieldRef metadata.uid is not modeled"):
        container_env(_pod(), container, {}, {})


def test_a_missing_secret_is_a_config_error_naming_it():
    container = {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "gone", "key": "k"}}}]}
    with pytest.raises(ConfigError, match="Secret shop/gone not found"):
        container_env(_pod(), container, {}, {})


def test_statefulset_pods_and_claims_are_named_by_ordinal():
    doc = {"kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"replicas": 2, "serviceName": "db-headless", "template": {"metadata": {}, "spec": {}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}}
    pods = pods_from(doc, "shop")
    assert [(p.name, p.claims, p.subdomain) for p in pods] == [
        ("db-0", {"data": "data-db-0"}, "db-headless"), ("db-1", {"data": "data-db-1"}, "db-headless")]


def test_pull_policy_defaults_and_preloaded_names():
    assert pull_policy({"image": "ghcr.io/x/yelb-ui:latest"}) == "Always"
    assert pull_policy({"image": "ghcr.io/x/yelb-ui"}) == "Always"
    assert pull_policy({"image": "localhost:5000/x/yelb-ui:1.0.0"}) == "IfNotPresent"
    assert preloaded("localhost:5000/x/redis:7-alpine", {"redis": "local/redis"}) == "local/redis"
    with pytest.raises(ValueError, match="no preloaded image for 'nginx'"):
        preloaded("nginx:1", {"redis": "local/redis"})


def test_named_ports_resolve_through_the_container():
    container = {"ports": [{"name": "http", "containerPort": 8080}]}
    assert container_port(container, "http") == 8080
    assert container_port(container, 80) == 80
    assert container_port(container, "metrics") is None
