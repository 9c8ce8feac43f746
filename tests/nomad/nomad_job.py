"""Load the Nomad job the way ``nomad job run -var ...`` would see it.

python-hcl2 parses deployments/nomad/yelb.nomad.hcl; this module applies the
variable defaults and ``-var`` overrides, evaluates the locals and every
``${...}``, and returns plain dataclasses: groups, tasks with concrete
images, static environment, rendered-template variable names, services with
their ports and checks. Other suites (the cross-deployment contract test)
import :func:`load_job` and :meth:`Job.contract` instead of re-reading HCL.

    from tests.nomad.nomad_job import load_job
    job = load_job(overrides={"registry": "harbor.example.com/yelb"})
    job.contract()["yelb-appserver"]["image"]
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from hcl2 import SerializationOptions

from .hcl_expressions import EvaluationError, interpolate

REPO_ROOT = Path(__file__).resolve().parents[2]
JOB_FILE = REPO_ROOT / "deployments" / "nomad" / "yelb.nomad.hcl"

# Lines of an env template that set a variable: NAME=value.
_ENV_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)
# Catalogue look-ups in a template: nomadService "x" (Nomad) or service "x" (Consul).
_CATALOGUE_CALL = re.compile(r'\b(nomadService|service)\s+"([^"]+)"')
_VARIABLE_CALL = re.compile(r'\bnomadVar(?:Exists)?\s+"([^"]+)"')
_ACTION = re.compile(r"{{-?\s*(\w+)")


class InvalidVariable(ValueError):
    """An override is unknown or fails the variable's validation block."""


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
    """[{'"name"': body}, ...] -> {name: body}, keeping file order."""
    return {_label(key): body for block in blocks or [] for key, body in block.items()}


class _Lazy(dict):
    """Locals: each one evaluated on first use, so they may refer to each other."""

    def __init__(self, raw, resolve):
        super().__init__(raw)
        self._resolve = resolve
        self._done = set()

    def __getitem__(self, key):
        if key not in self._done:
            super().__setitem__(key, self._resolve(super().__getitem__(key)))
            self._done.add(key)
        return super().__getitem__(key)


def _resolver(scope):
    def resolve(value):
        if isinstance(value, list):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {_label(key): resolve(item) for key, item in value.items()}
        if isinstance(value, str):
            if value.startswith('"') and value.endswith('"'):
                return interpolate(json.loads(value), scope)
            if value.startswith("${") and value.endswith("}"):
                return interpolate(value, scope)
        return value

    return resolve


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
    change_signal: str | None

    @property
    def variable_names(self):
        """Names this template sets in the task's environment (env = true)."""
        return set(_ENV_LINE.findall(self.data)) if self.env else set()

    @property
    def catalogue_lookups(self):
        return _CATALOGUE_CALL.findall(self.data)

    @property
    def nomad_variable_paths(self):
        return set(_VARIABLE_CALL.findall(self.data))

    @property
    def balanced(self):
        """Every range/with/if action has its end (Go template syntax)."""
        actions = _ACTION.findall(self.data)
        opened = sum(action in ("range", "with", "if") for action in actions)
        return opened == actions.count("end")


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

    @property
    def env_names(self):
        """Every variable the task's environment gets from the job."""
        names = set(self.env)
        for template in self.templates:
            names |= template.variable_names
        return names


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

    def contract(self):
        """Per catalogue service: image, user, container port, env, health
        paths and the catalogue services its templates look up.

        The shape the cross-deployment contract test compares between
        compose, Kubernetes, Helm, Rancher and Nomad.
        """
        summary = {}
        for group in self.groups.values():
            (task,) = group.tasks.values()
            for service in group.services:
                summary[service.name] = {
                    "image": task.image,
                    "user": task.user,
                    "port": group.container_port(service.port_label),
                    "env": dict(sorted(task.env.items())),
                    "env_names": sorted(task.env_names),
                    "health_paths": sorted(
                        {check.path for check in service.checks if check.path}
                    ),
                    "upstreams": sorted(
                        {name for template in task.templates
                         for _, name in template.catalogue_lookups}
                    ),
                }
        return summary


def _variables(declared, overrides):
    unknown = set(overrides) - set(declared)
    if unknown:
        raise InvalidVariable(f"unknown variable(s): {', '.join(sorted(unknown))}")
    values = {}
    for name, body in declared.items():
        if name in overrides:
            values[name] = overrides[name]
        elif "default" in body:
            values[name] = _resolver({})(body["default"])
        else:
            raise InvalidVariable(f"variable {name} has no default and no override")
    for name, body in declared.items():
        for rule in body.get("validation") or []:
            try:
                valid = interpolate(rule["condition"], {"var": values})
            except EvaluationError:
                valid = False
            if not valid:
                message = json.loads(rule["error_message"])
                raise InvalidVariable(f"{name}: {message}")
    return values


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
    return Template(
        destination=body["destination"],
        data=body.get("data", ""),
        env=body.get("env", False),
        change_mode=body.get("change_mode", "restart"),
        change_signal=body.get("change_signal"),
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
    """Parse ``path`` and resolve it with ``overrides`` (the ``-var`` values)."""
    document = parse_hcl(path)
    declared = labelled(document.get("variable"))
    variables = _variables(declared, dict(overrides or {}))
    scope = {"var": variables}
    resolve = _resolver(scope)
    raw_locals = {}
    for block in document.get("locals") or []:
        raw_locals.update(block)
    scope["local"] = _Lazy(raw_locals, resolve)
    (job_name, job_body), = labelled(document["job"]).items()
    job_body = resolve(job_body)
    return Job(
        name=job_name,
        variables=variables,
        groups={label: _group(label, group) for label, group in labelled(job_body.get("group")).items()},
        raw=job_body,
    )
