"""Every deployment format in the repository agrees with the application on
what matters. The application side is read from the code (the appserver's
settings and routes, the UI front's nginx locations); each format is read by a
loader in formats/.

- images go through the format's registry/tag knob;
- the appserver gets the settings it needs (its stores, one shared password),
  valid as the appserver parses them, and none it does not read;
- ports match the ones the appserver and its stores use;
- probe and health-check paths are routes of the tier they probe;
- every name a tier is pointed at is a service of the same deployment.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from yelb_appserver.config import ConfigError

from . import renders
from .formats import PUBLIC_REGISTRY, Deployment, Value, compose, kubernetes, nomad
from .formats.app import DEFAULTS, SETTING_NAMES, config_for, image_env, probe_paths, ui_probe_paths

REPO = renders.REPO
YELB_IMAGES = ("yelb-ui", "yelb-appserver", "yelb-db")
COMPOSE_KNOBS = {"registry": "YELB_REGISTRY", "tag": "YELB_TAG", "redis": "YELB_REDIS_IMAGE"}
# Folders of compose-format files other engineers deliver: each file found
# there is one more deployment held to the contract.
COMPOSE_FOLDERS = {"compose": REPO / "deployments" / "compose", "swarm": REPO / "deployments" / "swarm"}
TIERS = ("yelb-ui", "yelb-appserver", "redis-server", "yelb-db")


def compose_variants(root_compose: Path) -> dict:
    """A file defining the four tiers stands alone (a Swarm stack, a variant);
    any other one is an override applied on top of the root docker-compose.yml."""
    found = {}
    for kind, folder in COMPOSE_FOLDERS.items():
        for path in sorted(folder.glob("*.y*ml")):
            services = (yaml.safe_load(path.read_text()) or {}).get("services", {})
            if not services:
                continue
            standalone = all(services.get(tier, {}).get("image") for tier in TIERS)
            files = [path] if standalone else [root_compose, path]
            found[f"{kind}/{path.name}"] = (files, compose.compose_files(files, COMPOSE_KNOBS, f"{kind}/{path.name}"))
    return found


def formats() -> dict[str, tuple[list[Path], object]]:
    """Format name -> (files it is made of, loader)."""
    root_compose = REPO / "docker-compose.yml"
    found = {
        "compose": ([root_compose], compose.compose_files([root_compose], COMPOSE_KNOBS, "compose")),
        "rancher-v1.6": ([compose.RANCHER_V1 / "docker-compose.yml", compose.RANCHER_V1 / "rancher-compose.yml"],
                         compose.rancher_v1),
        "nomad": ([nomad.JOB], nomad.load),
        **compose_variants(root_compose),
    }
    for overlay, path in renders.kustomize_targets().items():
        found[f"kustomize/{overlay}"] = ([path / "kustomization.yaml"], kubernetes.kustomize(overlay))
    for value_set in renders.HELM_VALUE_SETS:
        found[f"helm/{value_set}"] = ([renders.CHART_DIR / "Chart.yaml"], kubernetes.helm(value_set))
    return found


FORMATS = formats()


@pytest.fixture(params=sorted(FORMATS), scope="module")
def loaded(request) -> tuple[Deployment, Deployment]:
    """(public defaults, every image knob retargeted) of one format."""
    files, load = FORMATS[request.param]
    missing = [str(f.relative_to(REPO)) for f in files if not f.exists()]
    assert not missing, f"{request.param}: missing {missing}"
    return load(False), load(True)


@pytest.mark.parametrize("kind", sorted(COMPOSE_FOLDERS))
def test_sibling_formats_are_present(kind):
    found = [name for name in FORMATS if name.startswith(f"{kind}/")]
    assert found, f"no compose-format file with services in {COMPOSE_FOLDERS[kind].relative_to(REPO)}"


def appserver_env(deployment: Deployment) -> dict[str, Value]:
    return deployment.tiers["yelb-appserver"].env


def as_environ(env: dict[str, Value]) -> dict[str, str]:
    """The environment the appserver would see: its image's ENV, then the
    deployment's; run-time values take the setting's default."""
    return {**image_env("yelb-appserver"), **{key: (value.literal if value.literal is not None else
                                    "from-a-secret" if value.secret else DEFAULTS[key])
                              for key, value in env.items()}}


def test_images_go_through_the_registry_knob(loaded):
    for deployment in loaded:
        for image in YELB_IMAGES:
            assert deployment.tiers[image].image == f"{deployment.registry}/{image}:{deployment.tag}", deployment.name
        redis = deployment.tiers["redis-server"].image
        if deployment.registry == PUBLIC_REGISTRY:
            assert redis in ("redis:7-alpine", "docker.io/library/redis:7-alpine"), deployment.name
        else:
            assert redis == f"{deployment.registry}/redis:7-alpine", deployment.name


def test_appserver_gets_what_it_reads_and_nothing_else(loaded):
    deployment = loaded[0]
    env = appserver_env(deployment)
    assert set(env) <= SETTING_NAMES, f"{deployment.name}: not read by the appserver: {set(env) - SETTING_NAMES}"
    try:
        config = config_for(as_environ(env))
    except ConfigError as error:
        pytest.fail(f"{deployment.name}: the appserver would refuse to start: {error}")
    assert config.uses_postgres and config.uses_redis, f"{deployment.name}: a store falls back to SQLite"
    assert deployment.tiers[config.db_host].image.split("/")[-1].startswith("yelb-db:")
    assert deployment.tiers[config.redis_host].image.split("/")[-1].startswith("redis:")
    assert not config.fault_injection, f"{deployment.name}: fault injection on by default"


def test_database_password_is_shared(loaded):
    deployment = loaded[0]
    default = Value(literal=DEFAULTS["YELB_DB_PASSWORD"])
    appserver_side = appserver_env(deployment).get("YELB_DB_PASSWORD", default)
    database_side = deployment.tiers["yelb-db"].env.get("POSTGRES_PASSWORD", default)
    assert not appserver_side.dynamic and appserver_side == database_side, deployment.name


def test_ports_match_the_application(loaded):
    deployment = loaded[0]
    config = config_for(as_environ(appserver_env(deployment)))
    expected = {"yelb-appserver": config.port}
    env = appserver_env(deployment)
    if not env.get("YELB_DB_PORT", Value()).dynamic:
        expected["yelb-db"] = config.db_port
    if not env.get("REDIS_SERVER_PORT", Value()).dynamic:
        expected["redis-server"] = config.redis_port
    for tier, port in expected.items():
        for declared in (deployment.tiers[tier].ports, deployment.tiers[tier].listens):
            assert not declared or port in declared, f"{deployment.name}: {tier} on {declared}, app uses {port}"
    ui_default = Value(literal=image_env("yelb-ui")["YELB_APPSERVER_ENDPOINT"])
    ui_target = deployment.tiers["yelb-ui"].env.get("YELB_APPSERVER_ENDPOINT", ui_default)
    if ui_target.literal:
        url = urlsplit(ui_target.literal)
        assert url.hostname == "yelb-appserver" and url.port == config.port, deployment.name


def test_probe_paths_are_routes_of_their_tier(loaded):
    deployment = loaded[0]
    checks = deployment.tiers["yelb-appserver"].http_checks
    assert checks <= probe_paths(), f"{deployment.name}: no such route: {checks - probe_paths()}"
    if deployment.probes_appserver:
        assert checks, f"{deployment.name}: the appserver is never probed"
    ui_checks = deployment.tiers["yelb-ui"].http_checks
    assert ui_checks <= ui_probe_paths(), f"{deployment.name}: no such UI location: {ui_checks - ui_probe_paths()}"


def test_every_name_resolves_inside_the_deployment(loaded):
    deployment = loaded[0]
    config = config_for(as_environ(appserver_env(deployment)))
    names = {config.db_host, config.redis_host} | deployment.lookups
    for tier in ("yelb-ui", "yelb-appserver"):
        env = {**{k: Value(literal=v) for k, v in image_env(tier).items()}, **deployment.tiers[tier].env}
        names |= {urlsplit(v.literal).hostname for v in env.values()
                  if v.literal and v.literal.startswith(("http://", "https://"))}
    assert names <= deployment.services, f"{deployment.name}: unresolved {names - deployment.services}"
