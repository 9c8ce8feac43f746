"""Every deployment format in the repository agrees with the application on
what matters. The application side is read from the code (the appserver's
settings and routes, the UI front's nginx locations); each format is read by a
loader in formats/.

- every image, Redis included, goes through the format's one registry knob and
  one tag knob, spelled as decided for the format, and through nothing else;
  the defaults are the published images at the release version;
- the appserver gets the settings it needs (its stores, one shared password),
  valid as the appserver parses them, and none it does not read;
- ports match the ones the appserver and its stores use;
- probe and health-check paths are routes of the tier they probe;
- every name a tier is pointed at is a service of the same deployment;
- the appserver reports its image tag as its release (its colour derived from
  it unless set), and gets where-am-I metadata from its orchestrator;
- the room (options, question, public URL) is set through the format's own
  knobs, and left alone it keeps the appserver's defaults.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from yelb_appserver.config import ConfigError

from . import renders
from .formats import (PUBLIC_REGISTRY, PUBLIC_TAG, REDIS, ROOM_SETTINGS, Deployment, Value, compose, kubernetes,
                      nomad)
from .formats.app import DEFAULTS, SETTING_NAMES, config_for, image_env, probe_paths, ui_probe_paths

REPO = renders.REPO
YELB_IMAGES = ("yelb-ui", "yelb-appserver", "yelb-db")
# Format name prefix -> what its images are named from, and nothing else.
KNOB_PAIRS = {"compose": set(compose.KNOBS), "swarm": set(compose.KNOBS), "rancher-v1.6": set(compose.KNOBS),
              "helm": set(kubernetes.HELM_KNOBS), "nomad": {"registry", "tag"},
              "kustomize": {kubernetes.SET_REGISTRY.name}}
# Folders of compose-format files: each file found
# there is one more deployment held to the contract.
COMPOSE_FOLDERS = {"compose": REPO / "deployments" / "compose", "swarm": REPO / "deployments" / "swarm"}
TIERS = ("yelb-ui", "yelb-appserver", "redis-server", "yelb-db")

# Where-am-I: what each kind of format gives the appserver, and from where. Kubernetes
# through the downward API (it cannot read node labels: the zone comes from a pod label
# where the cluster sets one); Swarm through templates it fills per task; Nomad sets
# NOMAD_ALLOC_NAME, NOMAD_JOB_NAME, NOMAD_DC and NOMAD_REGION itself, the node only by
# interpolation; Compose and Cattle give nothing but the container's host name.
DOWNWARD_API = {name: Value(dynamic=True, source=path) for name, path in (
    ("YELB_INSTANCE_NAME", "metadata.name"), ("YELB_GROUP_NAME", "metadata.namespace"),
    ("YELB_NODE_NAME", "spec.nodeName"), ("YELB_ZONE", "metadata.labels['topology.kubernetes.io/zone']"))}
PLATFORM_ENV = {
    "kustomize": DOWNWARD_API,
    "helm": DOWNWARD_API,
    "swarm": {"YELB_ORCHESTRATOR": Value(literal="swarm"), "YELB_INSTANCE_NAME": Value(literal="{{.Task.Name}}"),
              "YELB_NODE_NAME": Value(literal="{{.Node.Hostname}}"),
              "YELB_GROUP_NAME": Value(literal="{{.Service.Name}}")},
    "nomad": {"YELB_NODE_NAME": Value(dynamic=True, source="${node.unique.name}")},
    "compose": {"YELB_ORCHESTRATOR": Value(literal="compose")},
    "rancher-v1.6": {"YELB_ORCHESTRATOR": Value(literal="rancher-cattle")},
}
PLATFORM_SETTINGS = {"YELB_ORCHESTRATOR", "YELB_INSTANCE_NAME", "YELB_NODE_NAME", "YELB_GROUP_NAME",
                     "YELB_ZONE", "YELB_REGION"}


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
            found[f"{kind}/{path.name}"] = (files, compose.compose_files(files, f"{kind}/{path.name}"))
    return found


def formats() -> dict[str, tuple[list[Path], object]]:
    """Format name -> (files it is made of, loader)."""
    root_compose = REPO / "docker-compose.yml"
    found = {
        "compose": ([root_compose], compose.compose_files([root_compose], "compose")),
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
    """(public defaults, the knob pair retargeted) of one format."""
    files, load = FORMATS[request.param]
    missing = [str(f.relative_to(REPO)) for f in files if not f.exists()]
    assert not missing, f"{request.param}: missing {missing}"
    return load(False), load(True)


@pytest.fixture(params=sorted(FORMATS))
def format_name(request) -> str:
    return request.param


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
    """Public: the published images at the release version. Retargeted through
    the format's pair alone: every image, Redis included, moves with it."""
    for deployment in loaded:
        for image in YELB_IMAGES:
            assert deployment.tiers[image].image == f"{deployment.registry}/{image}:{deployment.tag}", deployment.name
        assert deployment.tiers["redis-server"].image == f"{deployment.registry}/{REDIS}", deployment.name


def test_defaults_are_the_release_never_latest(loaded):
    public = loaded[0]
    if public.registry == PUBLIC_REGISTRY:  # not a value set that names its own registry
        assert public.tag == PUBLIC_TAG != "latest", public.name
    assert all(not tier.image.endswith(":latest") for tier in public.tiers.values()), public.name


def test_one_knob_pair_spelled_as_decided(format_name):
    _, load = FORMATS[format_name]
    knobs = load(False).image_knobs
    expected = KNOB_PAIRS[format_name.split("/")[0]]
    assert knobs == expected, f"{format_name}: images named from {sorted(knobs)}, decided {sorted(expected)}"


def test_the_release_version_is_one():
    chart = yaml.safe_load((renders.CHART_DIR / "Chart.yaml").read_text())
    assert str(chart["appVersion"]) == PUBLIC_TAG, "Chart.yaml appVersion and yelb-appserver/pyproject.toml differ"


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


def test_the_release_is_the_image_tag_and_its_colour_derived(loaded):
    """Public and retargeted alike: a new tag is a new release, in a new colour."""
    for deployment in loaded:
        env = appserver_env(deployment)
        assert env.get("YELB_VERSION") == Value(literal=deployment.tag), deployment.name
        assert env.get("YELB_COLOR", Value(literal="")) == Value(literal=""), deployment.name
        config = config_for(as_environ(env))
        assert config.version == deployment.tag and not config.color, deployment.name


def test_where_am_i_comes_from_the_orchestrator(loaded):
    deployment = loaded[0]
    env = appserver_env(deployment)
    expected = PLATFORM_ENV[deployment.name.split("/")[0]]
    given = {name: value for name, value in env.items() if name in PLATFORM_SETTINGS}
    assert given == expected, deployment.name


# A speaker's room, with characters a format could mangle: quotes, a pipe, a dollar sign.
SPEAKER_ROOM = {"YELB_OPTIONS": "tabs=Tabs|The one true indent,spaces=Spaces",
                "YELB_QUESTION": 'Tabs or spaces? Say "tabs" for $0',
                "YELB_PUBLIC_URL": "https://vote.example.org/room-4?from=qr"}


def room_of(env: dict[str, Value]) -> tuple:
    config = config_for(as_environ(env))
    return [option.name for option in config.options], config.question, config.public_url


def test_the_room_keeps_the_appservers_defaults_unless_set(loaded):
    deployment = loaded[0]
    assert room_of(appserver_env(deployment)) == room_of({}), deployment.name


def test_the_room_is_set_through_the_formats_own_knobs(format_name):
    _, load = FORMATS[format_name]
    env = appserver_env(load(False, room=SPEAKER_ROOM))
    assert {name: env[name].literal for name in ROOM_SETTINGS} == SPEAKER_ROOM, format_name
    assert room_of(env) == (["tabs", "spaces"], SPEAKER_ROOM["YELB_QUESTION"], SPEAKER_ROOM["YELB_PUBLIC_URL"])


# Formats whose knobs a speaker can leave empty (an unset shell variable, a blank chart
# value): empty must mean the appserver's default there. The Nomad job and the Rancher 1.6
# form refuse an empty question instead, and a Kustomize overlay merges only what it sets.
EMPTY_ALLOWED = sorted(name for name in FORMATS if name.split("/")[0] in ("compose", "swarm", "helm"))


@pytest.mark.parametrize("format_name", EMPTY_ALLOWED)
def test_an_empty_room_keeps_the_appservers_defaults(format_name):
    _, load = FORMATS[format_name]
    env = appserver_env(load(False, room=dict.fromkeys(ROOM_SETTINGS, "")))
    assert room_of(env) == room_of({}), format_name
