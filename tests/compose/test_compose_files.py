"""docker-compose.yml and the Swarm stack: valid for Compose and the compose
spec, and shaped so that the first `docker compose up` works (start order on
health, no fixed names or ports that stop scaling, data on a named volume).
What they look like when running is proven by e2e/run.sh."""

from __future__ import annotations

import subprocess

import pytest

from .files import (COMPOSE_FILES, COMPOSE_OVERRIDES, REPO, ROOT_COMPOSE, SWARM_STACK, TIERS, compose_command,
                    compose_config, tool)

# Service name -> image name, for the images this repository builds.
OUR_IMAGES = {"yelb-ui": "yelb-ui", "yelb-appserver": "yelb-appserver", "yelb-db": "yelb-db",
              "loadgen": "yelb-loadgen"}


@pytest.fixture(scope="module")
def root():
    return compose_config(ROOT_COMPOSE)["services"]


@pytest.fixture(scope="module")
def stack():
    return compose_config(SWARM_STACK, profiles=())["services"]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_docker_compose_accepts_the_file(path):
    result = subprocess.run(compose_command(path) + ["config", "-q"], capture_output=True, text=True,
                            timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_file_matches_the_compose_spec_schema(path):
    result = subprocess.run([tool("check-jsonschema", "check-jsonschema (PyPI)"), "--builtin-schema",
                             "vendor.compose-spec", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_original_service_names(root, stack):
    assert set(TIERS) <= set(root)
    assert set(TIERS) == set(stack)


def test_images_follow_the_registry_and_tag_knobs():
    env = {"YELB_REGISTRY": "harbor.example.com/yelb", "YELB_TAG": "1.2.3"}
    for path in (ROOT_COMPOSE, SWARM_STACK):
        services = compose_config(path, env)["services"]
        for name, service in services.items():
            if name in OUR_IMAGES:
                assert service["image"] == f"harbor.example.com/yelb/{OUR_IMAGES[name]}:1.2.3", path
        assert services["redis-server"]["image"] == "harbor.example.com/yelb/redis:7-alpine"


def test_public_defaults(root):
    assert root["yelb-appserver"]["image"] == "ghcr.io/yelb-project/yelb-appserver:1.0.0"
    assert root["redis-server"]["image"] == "ghcr.io/yelb-project/redis:7-alpine"


def test_every_yelb_image_can_be_built_from_the_clone(root):
    for name in OUR_IMAGES:
        build = root[name]["build"]
        assert (REPO / build["context"] / build.get("dockerfile", "Dockerfile")).is_file(), name


def test_build_passes_the_base_image_knobs(root):
    assert set(root["yelb-appserver"]["build"]["args"]) == {"PYTHON_IMAGE"}
    assert set(root["loadgen"]["build"]["args"]) == {"PYTHON_IMAGE"}
    assert set(root["yelb-ui"]["build"]["args"]) == {"NGINX_IMAGE"}
    assert set(root["yelb-db"]["build"]["args"]) == {"POSTGRES_IMAGE"}


def test_start_order_waits_for_health(root):
    def healthy_dependencies(name):
        return {dep for dep, how in root[name]["depends_on"].items() if how["condition"] == "service_healthy"}

    assert healthy_dependencies("yelb-ui") == {"yelb-appserver"}
    assert healthy_dependencies("yelb-appserver") == {"yelb-db", "redis-server"}
    # yelb-db, yelb-ui and yelb-appserver bring a HEALTHCHECK in their image;
    # Redis is the stock image, so its check is in the file.
    assert root["redis-server"]["healthcheck"]["test"][:2] == ["CMD", "redis-cli"]


def test_appserver_scales(root):
    for name, service in root.items():
        assert "container_name" not in service, name
    appserver = root["yelb-appserver"]
    assert "ports" not in appserver
    assert appserver["expose"] == ["4567"]


def test_database_keeps_its_data_on_a_named_volume():
    config = compose_config(ROOT_COMPOSE)
    mounts = config["services"]["yelb-db"]["volumes"]
    assert any(mount.startswith("yelb-db-data:/var/lib/postgresql/data") for mount in mounts)
    assert "yelb-db-data" in config["volumes"]


def test_front_and_back_networks():
    config = compose_config(ROOT_COMPOSE)
    services = config["services"]
    networks = {name: set(service["networks"]) for name, service in services.items()}
    assert networks["yelb-appserver"] == {"front", "back"}
    assert networks["yelb-ui"] == {"front"}
    assert networks["yelb-db"] == networks["redis-server"] == {"back"}
    assert config["networks"]["back"]["internal"] is True
    for name in ("yelb-db", "redis-server"):
        assert "ports" not in services[name]


def test_profiles(root):
    profiled = {name: service.get("profiles") for name, service in root.items() if service.get("profiles")}
    assert profiled == {"loadgen": ["loadgen"], "prometheus": ["monitoring"], "grafana": ["monitoring"],
                        "jaeger": ["monitoring"], "registry": ["registry"]}
    for name in TIERS:
        assert name not in profiled


def test_containers_are_locked_down(root):
    for name, service in root.items():
        assert service["read_only"] is (name != "grafana"), name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_published_ports_are_knobs(root):
    assert root["yelb-ui"]["ports"] == ["0.0.0.0:8080:8080/tcp"]
    for name in ("prometheus", "grafana", "jaeger", "registry"):
        assert all(port.startswith("127.0.0.1:") for port in root[name]["ports"]), name


def test_one_password_for_database_and_appserver():
    services = compose_config(ROOT_COMPOSE, {"POSTGRES_PASSWORD": "s3cret"})["services"]
    assert services["yelb-db"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"
    assert services["yelb-appserver"]["environment"]["YELB_DB_PASSWORD"] == "s3cret"


def test_swarm_services_have_replicas_update_and_restart_policies(stack):
    for name, service in stack.items():
        deploy = service["deploy"]
        assert deploy["replicas"] >= 1, name
        assert deploy["restart_policy"]["condition"] == "any", name
        assert "order" in deploy["update_config"], name
    assert stack["yelb-appserver"]["deploy"]["replicas"] == 3
    assert stack["yelb-appserver"]["deploy"]["update_config"]["order"] == "start-first"
    # One PostgreSQL on one volume: never two at once during an update.
    assert stack["yelb-db"]["deploy"]["update_config"]["order"] == "stop-first"


def test_swarm_stack_is_locked_down_too(stack):
    for name, service in stack.items():
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name
        assert "build" not in service and "depends_on" not in service, name


def test_dev_override_serves_the_clone():
    (dev,) = [path for path in COMPOSE_OVERRIDES if path.name == "docker-compose.dev.yml"]
    services = compose_config(dev)["services"]
    assert f"{REPO}/yelb-ui/public:/usr/share/yelb-ui:ro" in services["yelb-ui"]["volumes"]
    assert services["yelb-appserver"]["environment"]["YELB_LOG_LEVEL"] == "debug"
    # Everything else is the root file's: the override adds, it does not fork.
    root = compose_config(ROOT_COMPOSE)["services"]
    for name in root:
        for key in ("image", "build", "read_only", "depends_on"):
            assert services[name].get(key) == root[name].get(key), (name, key)
    assert services["yelb-appserver"]["environment"]["YELB_FAULT_INJECTION"] == "false"
