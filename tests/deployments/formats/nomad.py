"""The Nomad job (deployments/nomad/yelb.nomad.hcl) as a Deployment, parsed with
python-hcl2; ${var.*} is filled from the job's variable defaults or the retarget."""

from __future__ import annotations

import re

import hcl2

from .. import renders
from . import RETARGET_REGISTRY, RETARGET_TAG, Deployment, Tier, Value

JOB = renders.REPO / "deployments" / "nomad" / "yelb.nomad.hcl"
ENV_LINE = re.compile(r"^\s*([A-Z][A-Z0-9_]*)=(.*)$", re.MULTILINE)
CATALOGUE_QUERY = re.compile(r'\$\{local\.catalogue\}\s+"([^"]+)"')
# The job's variables for the room's settings.
ROOM_VARIABLES = {"YELB_OPTIONS": "options", "YELB_QUESTION": "question", "YELB_PUBLIC_URL": "public_url"}


def unquote(value):
    """python-hcl2 keeps the quotes of string literals and block labels."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def blocks(parent: dict, kind: str):
    """(label, body) of every `kind "label" { ... }` block."""
    for block in parent.get(kind, []):
        for label, body in block.items():
            if label != "__is_block__":
                yield unquote(label), body


def template_env(template: dict) -> tuple[dict[str, Value], set[str]]:
    """KEY=value lines of an env template: a literal where one is given (the
    fallback branch), run-time otherwise; plus the catalogue names it queries."""
    text = unquote(template["data"])
    env: dict[str, Value] = {}
    for key, value in ENV_LINE.findall(text):
        value = value.strip()
        shared = re.fullmatch(r"\$\{(local\.\w+)\}", value)
        if shared:  # the same locals value in two tasks is one shared secret
            env[key] = Value(secret=shared[1])
        elif "{{" in value or "${" in value or not value:
            env.setdefault(key, Value(dynamic=True))
        else:
            env[key] = Value(literal=value)
    return env, set(CATALOGUE_QUERY.findall(text))


def with_variables(text: str, variables: dict) -> str:
    """`text` with every ${var.name} replaced by the variable's value, as Nomad does first."""
    return re.sub(r"\$\{var\.(\w+)\}", lambda m: str(variables[m[1]]), text)


def env_value(text: str) -> Value:
    """An env block's value once the job's variables are filled: what is left of
    ${...} (node.unique.name, attr.*) Nomad interpolates when it places the task."""
    if "${" in text:
        return Value(dynamic=True, source=text)
    return Value(literal=text)


def load(retarget: bool, room: dict[str, str] | None = None) -> Deployment:
    job_file = hcl2.load(JOB.open())
    variables = {name: unquote(body.get("default")) for name, body in blocks(job_file, "variable")}
    if retarget:
        variables.update(registry=RETARGET_REGISTRY, tag=RETARGET_TAG)
    variables.update({ROOM_VARIABLES[name]: value for name, value in (room or {}).items()})

    def fill(text: str) -> str:
        return with_variables(unquote(text), variables)

    (job,) = [body for _, body in blocks(job_file, "job")]
    tiers, lookups, image_knobs = {}, set(), set()
    for _, group in blocks(job, "group"):
        port_targets = {label: body.get("to") for network in group.get("network", [])
                        for label, body in blocks(network, "port")}
        for _, task in blocks(group, "task"):
            (config,) = task["config"]
            image_knobs |= set(re.findall(r"\$\{var\.(\w+)\}", unquote(config["image"])))
            env = {key: env_value(fill(str(value)))
                   for block in task.get("env", []) for key, value in block.items() if not key.startswith("__")}
            for template in task.get("template", []):
                if template.get("env"):
                    template_vars, queried = template_env(template)
                    env.update(template_vars)
                    lookups |= queried
            for service in task.get("service", []):
                name, port = fill(service["name"]), port_targets[fill(service["port"])]
                tiers[name] = Tier(
                    service=name, image=fill(config["image"]), env=env, ports={port}, listens={port},
                    http_checks={fill(check["path"]) for check in service.get("check", [])
                                 if unquote(check.get("type")) == "http"})
    return Deployment(name="nomad", tiers=tiers, services=set(tiers), lookups=lookups,
                      registry=variables["registry"], tag=variables["tag"], image_knobs=image_knobs)
