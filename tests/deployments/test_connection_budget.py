"""Every deployment format, at the most appserver replicas it can run (its
autoscaler's or scale question's maximum, or its documented scale) plus the
extra replicas of a rolling update, fits PostgreSQL's max_connections with the
superuser reserve left free; and the appserver connects as the yelb-db image's
`yelb` role, never as the superuser.

Read from the rendered files: Kustomize via `kubectl kustomize`, Helm via the
chart, compose-format files via `docker-compose config`, Nomad via python-hcl2.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass
from typing import Callable

import hcl2
import pytest
import yaml
from yelb_appserver.config import Config

from . import renders
from .formats import compose, nomad
from .formats.kubernetes import merged

REPO = renders.REPO
# PostgreSQL's default, which no file here changes: slots only superusers may use.
SUPERUSER_RESERVED = 3
APP_ROLE = "yelb"
MAX_CONNECTIONS = re.compile(r"max_connections=(\d+)")
# A Helm value set at the chart's limits: the largest fleet a user can configure.
HELM_LARGEST = {"autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 50},
                "appserver": {"workers": 8, "dbMaxConnections": 64}, "db": renders.RENDER_AUTH}


@dataclass
class Fleet:
    """The most appserver replicas at once, what each may open, and what PostgreSQL allows."""

    replicas: int
    surge: int
    appserver_env: dict[str, str]
    max_connections: int

    @property
    def per_replica(self) -> int:
        return Config.from_env({"YELB_DB_SERVER_ENDPOINT": "yelb-db", **self.appserver_env}).db_max_connections

    @property
    def needed(self) -> int:
        return (self.replicas + self.surge) * self.per_replica + SUPERUSER_RESERVED


def image_max_connections() -> int:
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", (REPO / "yelb-db" / "Dockerfile").read_text(), re.M)
    assert cmd, "yelb-db/Dockerfile sets no CMD with max_connections"
    (found,) = MAX_CONNECTIONS.findall(cmd[1])
    return int(found)


def command_max_connections(words: list[str] | str | None) -> int:
    found = MAX_CONNECTIONS.findall(" ".join(words) if isinstance(words, list) else words or "")
    return int(found[-1]) if found else image_max_connections()


def surge_of(deployment: dict, replicas: int) -> int:
    rolling = deployment["spec"].get("strategy", {}).get("rollingUpdate", {})
    surge = str(rolling.get("maxSurge", "25%"))
    return math.ceil(replicas * int(surge[:-1]) / 100) if surge.endswith("%") else int(surge)


def kubernetes_fleet(docs: list[dict]) -> Fleet:
    (appserver,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith("yelb-appserver")]
    (database,) = [d for d in docs if d["kind"] == "StatefulSet" and d["metadata"]["name"].endswith("yelb-db")]
    autoscalers = [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    replicas = autoscalers[0]["spec"]["maxReplicas"] if autoscalers else appserver["spec"].get("replicas", 1)
    (container,) = appserver["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: str(e["value"]) for e in container.get("env", []) if "value" in e}
    (db_container,) = database["spec"]["template"]["spec"]["containers"]
    return Fleet(replicas, surge_of(appserver, replicas), env,
                 command_max_connections(db_container.get("command", []) + db_container.get("args", [])))


def documented_compose_scale() -> int:
    """The largest `--scale yelb-appserver=N` the compose docs and files show."""
    texts = [(REPO / name).read_text() for name in ("README.md", "docker-compose.yml",
                                                   "deployments/compose/README.md")]
    return max(int(n) for text in texts for n in re.findall(r"--scale yelb-appserver=(\d+)", text))


def compose_service_fleet(config: dict, replicas: int) -> Fleet:
    appserver, database = config["services"]["yelb-appserver"], config["services"]["yelb-db"]
    deploy = appserver.get("deploy", {})
    update = deploy.get("update_config", {})
    # Swarm starts the new task first (order: start-first), `parallelism` at a time.
    surge = update.get("parallelism", 1) if update.get("order") == "start-first" else 0
    env = appserver.get("environment") or {}
    command = database.get("command")
    return Fleet(deploy.get("replicas", replicas), surge, {k: str(v) for k, v in env.items()},
                 command_max_connections(shlex.split(command) if isinstance(command, str) else command))


def rancher_fleet() -> Fleet:
    rancher = yaml.safe_load((compose.RANCHER_V1 / "rancher-compose.yml").read_text())
    (scale,) = [q for q in rancher["catalog"]["questions"] if q["variable"] == "APPSERVER_SCALE"]
    answers = {q["variable"]: str(q["default"]) for q in rancher["catalog"]["questions"]}
    config = compose.config([compose.RANCHER_V1 / "docker-compose.yml"], answers)
    fleet = compose_service_fleet(config, scale["max"])
    fleet.replicas = scale["max"]
    fleet.surge = 1 if rancher["services"]["yelb-appserver"]["upgrade_strategy"]["start_first"] else 0
    return fleet


def nomad_fleet() -> Fleet:
    job_file = hcl2.load(nomad.JOB.open())
    variables = {name: nomad.unquote(body.get("default")) for name, body in nomad.blocks(job_file, "variable")}
    (job,) = [body for _, body in nomad.blocks(job_file, "job")]
    (update,) = job.get("update", [{}])
    groups = dict(nomad.blocks(job, "group"))
    (task,) = [body for _, body in nomad.blocks(groups["appserver"], "task")]
    env = {k: nomad.with_variables(str(nomad.unquote(v)), variables) for block in task.get("env", [])
           for k, v in block.items() if not k.startswith("__")}
    (db_task,) = [body for _, body in nomad.blocks(groups["db"], "task")]
    (db_config,) = db_task["config"]
    # Nomad replaces an allocation before starting its successor unless canaries are asked for.
    return Fleet(int(variables["appserver_max_count"]), int(update.get("canary", 0)), env,
                 command_max_connections([nomad.unquote(a) for a in db_config.get("args", [])]))


def fleets() -> dict[str, Callable[[], Fleet]]:
    found = {f"kustomize/{name}": (lambda name=name: kubernetes_fleet(renders.kustomize_docs(name)))
             for name in renders.kustomize_targets()}
    found.update({f"helm/{name}": (lambda name=name: kubernetes_fleet(renders.helm_docs(name)))
                  for name in renders.HELM_VALUE_SETS})
    found["compose"] = lambda: compose_service_fleet(
        compose.config([REPO / "docker-compose.yml"], {}), documented_compose_scale())
    found["swarm"] = lambda: compose_service_fleet(
        compose.config([REPO / "deployments" / "swarm" / "docker-stack.yml"], {}), 1)
    found["rancher-v1.6"] = rancher_fleet
    found["nomad"] = nomad_fleet
    return found


FLEETS = fleets()


@pytest.mark.parametrize("name", sorted(FLEETS))
def test_largest_fleet_fits_max_connections_with_the_reserve_free(name):
    fleet = FLEETS[name]()
    print(f"{name}: ({fleet.replicas} replicas + {fleet.surge} surge) x {fleet.per_replica} "
          f"+ {SUPERUSER_RESERVED} reserved = {fleet.needed} <= max_connections {fleet.max_connections}")
    assert fleet.needed <= fleet.max_connections, (
        f"{name}: {fleet.replicas + fleet.surge} appservers x {fleet.per_replica} connections + "
        f"{SUPERUSER_RESERVED} reserved = {fleet.needed} > max_connections {fleet.max_connections}")


@pytest.mark.parametrize("name", sorted(FLEETS))
def test_appserver_connects_as_the_app_role(name):
    assert FLEETS[name]().appserver_env.get("YELB_DB_USER") == APP_ROLE, name


def test_helm_computes_max_connections_for_its_largest_fleet():
    with renders.helm.Chart.load(renders.CHART_DIR) as chart:
        rendered = chart.render(merged(renders.HELM_VALUE_SETS["defaults"], HELM_LARGEST),
                                name=renders.RELEASE, namespace=renders.NAMESPACE, is_install=True)
    docs = [doc for path, text in rendered.items() if path.endswith(".yaml")
            for doc in yaml.safe_load_all(text) if doc]
    fleet = kubernetes_fleet(docs)
    assert (fleet.replicas, fleet.surge, fleet.per_replica) == (50, 13, 64)
    assert fleet.max_connections == fleet.needed == 63 * 64 + SUPERUSER_RESERVED
