"""Compose-format files (docker-compose.yml and its variants, Swarm stacks, the
Rancher 1.6 catalog entry) as Deployments. `docker-compose config` does the
interpolation and merging, exactly as it would before a deploy."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

from .. import renders
from . import PUBLIC_REGISTRY, PUBLIC_TAG, RETARGET_REGISTRY, RETARGET_TAG, Deployment, Tier, Value

REPO = renders.REPO
RANCHER_V1 = REPO / "deployments" / "rancher" / "v1.6" / "templates" / "yelb" / "0"
URL_PATH = re.compile(r"https?://[^/\s\"']+(/[^\s\"']*)")
# The decided pair, the same words in every environment-style format.
KNOBS = ("YELB_REGISTRY", "YELB_TAG")
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# The services running the app's images (the compose file's tool profiles aside).
APP_SERVICES = ("yelb-ui", "yelb-appserver", "redis-server", "yelb-db", "loadgen")


def image_variables(files: list[Path]) -> set[str]:
    """Variables the app's image references are written with, read from the
    files as written (the last file naming a service's image wins, as in a merge)."""
    images = {}
    for path in files:
        for name, service in (yaml.safe_load(path.read_text()).get("services") or {}).items():
            if name in APP_SERVICES and "image" in service:
                images[name] = service["image"]
    return {variable for image in images.values() for variable in VARIABLE.findall(image)}


def config(files: list[Path], env: dict[str, str]) -> dict:
    command = [renders.require_tool("docker-compose", "the Debian package docker-compose"), "--project-directory", str(files[0].parent)]
    for path in files:
        command += ["-f", str(path)]
    result = subprocess.run(command + ["config"], capture_output=True, text=True, timeout=60, check=False,
                            env={"PATH": os.environ["PATH"], **env})
    assert result.returncode == 0, f"docker-compose config {files}: {result.stderr}"
    return yaml.safe_load(result.stdout)


def healthcheck_paths(service: dict) -> set[str]:
    test = service.get("healthcheck", {}).get("test", [])
    return set(URL_PATH.findall(" ".join(test) if isinstance(test, list) else test))


def ports_of(service: dict) -> set[int]:
    ports = {int(p) for p in service.get("expose", [])}
    for port in service.get("ports", []):
        ports.add(int(port["target"]) if isinstance(port, dict) else int(str(port).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def from_config(name: str, compose: dict, registry: str, tag: str, extra_checks=None) -> Deployment:
    tiers = {}
    for service_name, service in compose["services"].items():
        env = service.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        tiers[service_name] = Tier(
            service=service_name, image=service["image"],
            # `config` writes a literal $ as $$, so that its output can be read again.
            env={key: Value(literal=str(value).replace("$$", "$")) for key, value in env.items()},
            ports=ports_of(service), listens=ports_of(service),
            http_checks=healthcheck_paths(service) | (extra_checks or {}).get(service_name, set()))
    return Deployment(name=name, tiers=tiers, services=set(compose["services"]),
                      probes_appserver=False, registry=registry, tag=tag)


def compose_files(files: list[Path], name: str):
    """A compose deployment; retargeted through YELB_REGISTRY and YELB_TAG alone, the
    room set through the variables named as the settings."""
    def load(retarget: bool, room: dict[str, str] | None = None) -> Deployment:
        env = dict(zip(KNOBS, (RETARGET_REGISTRY, RETARGET_TAG))) if retarget else {}
        env.update(room or {})
        deployment = from_config(name, config(files, env), *((RETARGET_REGISTRY, RETARGET_TAG) if retarget
                                                             else (PUBLIC_REGISTRY, PUBLIC_TAG)))
        deployment.image_knobs = image_variables(files)
        return deployment
    return load


def rancher_v1(retarget: bool, room: dict[str, str] | None = None) -> Deployment:
    """The catalog entry with its questions answered: the defaults, then the knob pair
    and the room (questions named as the settings)."""
    rancher = yaml.safe_load((RANCHER_V1 / "rancher-compose.yml").read_text())
    answers = {q["variable"]: str(q["default"]) for q in rancher["catalog"]["questions"]}
    if retarget:
        answers.update(zip(KNOBS, (RETARGET_REGISTRY, RETARGET_TAG)))
    answers.update(room or {})
    checks = {name: {service["health_check"]["request_line"].split()[1]}
              for name, service in rancher["services"].items() if "request_line" in service["health_check"]}
    deployment = from_config("rancher-v1.6", config([RANCHER_V1 / "docker-compose.yml"], answers),
                             answers["YELB_REGISTRY"], answers["YELB_TAG"], checks)
    for name, service in rancher["services"].items():
        deployment.tiers[name].ports.add(service["health_check"]["port"])
        deployment.tiers[name].listens.add(service["health_check"]["port"])
    deployment.probes_appserver = True
    deployment.image_knobs = image_variables([RANCHER_V1 / "docker-compose.yml"])
    return deployment
