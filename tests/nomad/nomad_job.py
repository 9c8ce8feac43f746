"""Load the Nomad job the way ``nomad job run -var ...`` would see it.

tests/nomad/standin evaluates deployments/nomad/yelb.nomad.hcl with the real
HCL engine (variables with their types and validation, locals, every
``${...}``); this module turns the result into plain dataclasses: groups,
tasks with concrete images, static environment, templates, services with
their ports and checks.

    from tests.nomad.nomad_job import load_job
    job = load_job(overrides={"registry": "harbor.example.com/yelb"})
    job.groups["appserver"].tasks["yelb-appserver"].image
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from hcl2 import SerializationOptions

from .standin import StandinError, evaluate_job, render_template

REPO_ROOT = Path(__file__).resolve().parents[2]
JOB_FILE = REPO_ROOT / "deployments" / "nomad" / "yelb.nomad.hcl"

# Catalogue look-ups in a template: nomadService "x" (Nomad) or service "x" (Consul).
_CATALOGUE_CALL = re.compile(r'\b(nomadService|service)\s+"([^"]+)"')
_VARIABLE_CALL = re.compile(r'\bnomadVar(?:Exists)?\s+"([^"]+)"')


class InvalidVariable(ValueError):
    """Nomad would refuse the ``-var`` values (unknown, wrong type, failed validation)."""


def parse_hcl(path):
    """Any HCL file as python-hcl2 sees it, with plain blocks and strings kept quoted."""
    options = SerializationOptions(
        with_comments=False, explicit_blocks=False, preserve_heredocs=False
    )
    with open(path, encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=options)


def _label(key):
    return json.loads(key) if key.startswith('"') else key


def labelled(blocks):
    """[{'name': body}, ...] -> {name: body}, keeping file order (python-hcl2's
    quoted labels are unquoted)."""
    return {_label(key): body for block in blocks or [] for key, body in block.items()}


@dataclass(frozen=True)
class Check:
    name: str
    type: str
    path: str | None
    interval: str
    timeout: str
    restarts_task: bool


@dataclass(frozen=True)
class Service:
    name: str
    port_label: str
    provider: str
    checks: tuple


@dataclass(frozen=True)
class Template:
    destination: str
    data: str
    env: bool
    change_mode: str
    change_script: dict | None

    @property
    def catalogue_lookups(self):
        return _CATALOGUE_CALL.findall(self.data)

    @property
    def nomad_variable_paths(self):
        return set(_VARIABLE_CALL.findall(self.data))


@dataclass(frozen=True)
class Task:
    name: str
    driver: str
    user: str | None
    config: dict
    env: dict
    templates: tuple
    resources: dict
    volume_mounts: tuple
    kill_timeout: str | None
    raw: dict = field(repr=False)

    @property
    def image(self):
        return self.config["image"]

    def environment(self, catalogue=None, nomad_variables=None):
        """The task's environment as a client builds it: the env block, then
        every env = true template rendered against ``catalogue`` and
        ``nomad_variables`` and read back."""
        env = dict(self.env)
        for template in self.templates:
            if template.env:
                env.update(render_template(template.data, catalogue, nomad_variables,
                                           env=self.env, dotenv=True))
        return env


@dataclass(frozen=True)
class Group:
    name: str
    count: int
    ports: dict
    services: tuple
    tasks: dict
    volumes: dict
    raw: dict = field(repr=False)

    def container_port(self, label):
        return self.ports[label].get("to")

    def block(self, name):
        """A singleton block of the group (restart, reschedule, scaling...)."""
        blocks = self.raw.get(name) or [None]
        return blocks[0]


@dataclass(frozen=True)
class Job:
    name: str
    variables: dict
    groups: dict
    raw: dict = field(repr=False)

    def block(self, name):
        blocks = self.raw.get(name) or [None]
        return blocks[0]

    def find_service(self, name):
        """(group, service) registering ``name`` in the catalogue."""
        for group in self.groups.values():
            for service in group.services:
                if service.name == name:
                    return group, service
        raise KeyError(name)


def _check(body):
    return Check(
        name=body.get("name"),
        type=body["type"],
        path=body.get("path"),
        interval=body["interval"],
        timeout=body["timeout"],
        restarts_task="check_restart" in body,
    )


def _service(body):
    return Service(
        name=body["name"],
        port_label=body["port"],
        provider=body.get("provider", "consul"),
        checks=tuple(_check(check) for check in body.get("check") or []),
    )


def _template(body):
    (script,) = body.get("change_script") or [None]
    return Template(
        destination=body["destination"],
        data=body.get("data", ""),
        env=body.get("env", False),
        change_mode=body.get("change_mode", "restart"),
        change_script=script,
    )


def _task(name, body):
    (config,) = body.get("config") or [{}]
    env = {}
    for block in body.get("env") or []:
        env.update({key: str(value) for key, value in block.items()})
    (resources,) = body.get("resources") or [{}]
    return Task(
        name=name,
        driver=body["driver"],
        user=body.get("user"),
        config=config,
        env=env,
        templates=tuple(_template(template) for template in body.get("template") or []),
        resources=resources,
        volume_mounts=tuple(body.get("volume_mount") or []),
        kill_timeout=body.get("kill_timeout"),
        raw=body,
    )


def _group(name, body):
    (network,) = body.get("network") or [{}]
    return Group(
        name=name,
        count=body.get("count", 1),
        ports=labelled(network.get("port")),
        # Group-level and task-level service blocks register alike.
        services=tuple(
            _service(service)
            for owner in [body, *labelled(body.get("task")).values()]
            for service in owner.get("service") or []
        ),
        tasks={label: _task(label, task) for label, task in labelled(body.get("task")).items()},
        volumes=labelled(body.get("volume")),
        raw=body,
    )


def load_job(path=JOB_FILE, overrides=None):
    """Evaluate ``path`` with ``overrides`` (the ``-var`` values)."""
    try:
        evaluated = evaluate_job(path, overrides)
    except StandinError as refused:
        raise InvalidVariable(str(refused)) from None
    ((job_name, job_body),) = evaluated["job"].items()
    return Job(
        name=job_name,
        variables=evaluated["variables"],
        groups={label: _group(label, group) for label, group in labelled(job_body.get("group")).items()},
        raw=job_body,
    )
