"""Behavioural proof of the Nomad job: the real images, run as the job says, in Docker.

    .venv/bin/python -m tests.nomad.e2e

No Nomad agent can run here, so this script stands in for one Nomad client,
and only for that. It evaluates deployments/nomad/yelb.nomad.hcl with the real
HCL engine (tests/nomad/standin) and starts every task as the client's Docker
driver would: the task's image, args, user, read-only root, dropped
capabilities, no-new-privileges, tmpfs mounts, memory limit, the group's
ports published on a dynamic host port of the client's address (the gateway
of one Docker network), the task's local/ and secrets/ folders at /local and
/secrets, and the environment from its env block and env templates. The
templates are rendered with Go's text/template against the catalogue this
client builds: each service's client address and host port, the way Nomad's
catalogue lists them. It then scales the appserver group to 3 the way Nomad
does it for the UI: re-render the template, run its change script in the
running container; and checks through the UI's port that the page answers,
hostnames rotate through every replica, no request fails across the change,
and a vote counts.

Each task also gets the NOMAD_* variables Nomad documents for a task's
environment (allocation, job, group, task, namespace, region, datacenter,
limits, directories, ports) and its env values' ${node.*} / ${NOMAD_*}
interpolated, as on a client in datacenter dc1 of region global named after
this host; the appservers' /api/whereami must report them.

Not modelled: scheduling and placement, Nomad's own catalogue and health
checks (checks are run here once, as readiness gates), restarts and
rescheduling, the splay and wait of templates.

The Yelb images come from --images (default ghcr.io/yelb-project, tag
--source-tag, default the job's own default tag: what `make e2e-compose`
builds) and Redis from
--redis-image (default the e2e stand-in yelb-e2e/redis); they are tagged into
a scratch registry name so the job's registry/tag variables pick them, as
`docker load` would on a client without a registry. A UI image built before
yelb-ui/nginx/reload.sh existed gets this checkout's yelb-ui/nginx/ layered
on top (said in the output). Everything created is named nomad-e2e* and
removed at the end.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from tests.nomad.nomad_job import REPO_ROOT, load_job
from tests.nomad.standin import render_template

PREFIX = "nomad-e2e"
NETWORK = PREFIX
# The job's images are looked up under this name; nothing is pushed or pulled.
SCRATCH_REGISTRY = "nomad-e2e.local/yelb"
SCRATCH_TAG = "e2e"
UI_NGINX_DIR = REPO_ROOT / "yelb-ui" / "nginx"
NOMAD_VARIABLES = {"nomad/jobs/yelb": {"db_password": "nomad-e2e-secret"}}
# Where this client says it is: Nomad's defaults for an agent, and the host's name.
DATACENTER, REGION, NAMESPACE = "dc1", "global", "default"
NODE_NAME = socket.gethostname()
RUNTIME_REFERENCE = re.compile(r"\$\{([A-Za-z0-9_.]+)\}")


class Report:
    def __init__(self):
        self.passed = self.failed = 0
        self.started = time.monotonic()

    def check(self, description, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   - {description}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL - {description}{': ' + detail if detail else ''}", flush=True)
        return condition

    def step(self, text):
        print(f"--- [{time.monotonic() - self.started:.0f}s] {text}", flush=True)


def docker(*args, check=True, quiet=False):
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])}...: {result.stderr.strip()}")
    return result.stdout.strip() if not quiet else result.returncode


def http(url, method="GET", timeout=5):
    request = urllib.request.Request(url, method=method, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(check, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return True
        except OSError:
            pass
        time.sleep(interval)
    return False


def free_port(address):
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


class Client:
    """One Nomad client's Docker driver and service registrations, for this job."""

    def __init__(self, job, workdir):
        self.job, self.workdir = job, workdir
        self.address = None
        self.catalogue = {}
        self.containers = []

    def create_network(self):
        docker("network", "create", NETWORK)
        self.address = docker("network", "inspect", NETWORK, "-f", "{{(index .IPAM.Config 0).Gateway}}")

    def allocation_dirs(self, name):
        local, secrets = self.workdir / name / "local", self.workdir / name / "secrets"
        local.mkdir(parents=True)
        secrets.mkdir()
        return local, secrets

    def render_templates(self, task, local, secrets):
        """Write every template where the task sees it; return the task's environment."""
        for template in task.templates:
            folder, _, rest = template.destination.partition("/")
            target = {"local": local, "secrets": secrets}[folder] / rest
            target.write_text(render_template(template.data, self.catalogue, NOMAD_VARIABLES, env=task.env))
            target.chmod(0o644)
        return task.environment(self.catalogue, NOMAD_VARIABLES)

    def nomad_env(self, group, task, index, ports):
        """The NOMAD_* variables a client gives the task (Nomad's runtime environment reference)."""
        alloc_id = str(uuid.uuid4())
        env = {"NOMAD_ALLOC_ID": alloc_id, "NOMAD_SHORT_ALLOC_ID": alloc_id[:8],
               "NOMAD_ALLOC_NAME": f"{self.job.name}.{group.name}[{index}]", "NOMAD_ALLOC_INDEX": str(index),
               "NOMAD_JOB_ID": self.job.name, "NOMAD_JOB_NAME": self.job.name, "NOMAD_GROUP_NAME": group.name,
               "NOMAD_TASK_NAME": task.name, "NOMAD_NAMESPACE": NAMESPACE, "NOMAD_REGION": REGION,
               "NOMAD_DC": DATACENTER, "NOMAD_CPU_LIMIT": str(task.resources["cpu"]),
               "NOMAD_MEMORY_LIMIT": str(task.resources["memory"]), "NOMAD_ALLOC_DIR": "/alloc",
               "NOMAD_TASK_DIR": "/local", "NOMAD_SECRETS_DIR": "/secrets"}
        for label, host_port in ports.items():
            env.update({f"NOMAD_IP_{label}": self.address, f"NOMAD_HOST_IP_{label}": self.address,
                        f"NOMAD_PORT_{label}": str(group.ports[label].get("to") or host_port),
                        f"NOMAD_HOST_PORT_{label}": str(host_port),
                        f"NOMAD_ADDR_{label}": f"{self.address}:{host_port}",
                        f"NOMAD_HOST_ADDR_{label}": f"{self.address}:{host_port}"})
        return env

    @staticmethod
    def interpolate(environment, nomad_env):
        """${node.*} and ${NOMAD_*} in env values, filled in as the client does at placement."""
        known = {**nomad_env, "node.unique.name": NODE_NAME, "node.datacenter": DATACENTER,
                 "node.region": REGION}
        return {key: RUNTIME_REFERENCE.sub(lambda match: known.get(match[1], match[0]), value)
                for key, value in environment.items()}

    def start(self, group_name, index=0):
        """Start one allocation of a group's (single) task; return (container, {label: host port})."""
        group = self.job.groups[group_name]
        ((task_name, task),) = group.tasks.items()
        name = f"{PREFIX}-{task_name}-{index}"
        local, secrets = self.allocation_dirs(name)
        config = task.config
        ports = {label: group.ports[label].get("static") or free_port(self.address)
                 for label in config.get("ports", [])}
        nomad_env = self.nomad_env(group, task, index, ports)
        environment = {**nomad_env, **self.interpolate(self.render_templates(task, local, secrets), nomad_env)}
        env_file = self.workdir / name / "env"
        assert all("\n" not in value for value in environment.values())
        env_file.write_text("".join(f"{key}={value}\n" for key, value in environment.items()))

        user = task.user
        command = ["run", "-d", "--name", name, "--network", NETWORK, "--env-file", str(env_file),
                   "-v", f"{local}:/local", "-v", f"{secrets}:/secrets",
                   "--memory", f"{task.resources['memory']}m", "--cpu-shares", str(task.resources["cpu"])]
        if user:
            command += ["--user", user]
        if config.get("readonly_rootfs"):
            command.append("--read-only")
        command += [f"--cap-drop={cap}" for cap in config.get("cap_drop", [])]
        command += [f"--security-opt={option}" for option in config.get("security_opt", [])]
        for mount in config.get("mount", []):
            size = mount.get("tmpfs_options", [{}])[0].get("size")
            command += ["--mount", f"type=tmpfs,destination={mount['target']}" + (f",tmpfs-size={size}" if size else "")]
        for volume_mount in task.volume_mounts:
            command += ["-v", f"{self.host_volume(user)}:{volume_mount['destination']}"]
        for label, host_port in ports.items():
            command += ["-p", f"{self.address}:{host_port}:{group.ports[label]['to']}"]
        docker(*command, config["image"], *config.get("args", []))
        self.containers.append(name)
        return name, ports

    def host_volume(self, user):
        """The client's host volume, prepared as the README says: owned by the task's user, 0700."""
        path = self.workdir / "host-volume-db"
        if not path.exists():
            uid, gid = (int(part) for part in user.split(":"))
            path.mkdir(mode=0o700)
            os.chown(path, uid, gid)
        return path

    def register(self, group_name, container, ports):
        """Add the allocation's services to the catalogue, as the client does when the task runs."""
        group = self.job.groups[group_name]
        for service in group.services:
            entry = {"Address": self.address, "Port": ports[service.port_label], "AllocID": container}
            self.catalogue.setdefault(service.name, []).append(entry)

    def passes_checks(self, group_name, ports, timeout=60):
        """Every check of the group's services passes (the checks Nomad runs from the client)."""
        group = self.job.groups[group_name]
        for service in group.services:
            port = ports[service.port_label]
            for check in service.checks:
                if check.type == "tcp":
                    probe = lambda: socket.create_connection((self.address, port), timeout=2).close() or True
                else:
                    probe = lambda path=check.path: http(f"http://{self.address}:{port}{path}")[0] == 200
                if not wait_for(probe, timeout):
                    return False
        return True

    def remove_all(self):
        for name in self.containers:
            docker("rm", "-f", "-v", name, check=False, quiet=True)
        docker("network", "rm", NETWORK, check=False, quiet=True)


class Poller(threading.Thread):
    """Asks the UI for /api/hostname without pause; keeps the answers and the failures."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.answers, self.failures, self.running = url, [], [], True

    def run(self):
        while self.running:
            try:
                status, body = http(self.url)
                (self.answers if status == 200 else self.failures).append(body if status == 200 else status)
            except OSError as error:
                self.failures.append(repr(error))

    def stop(self):
        self.running = False
        self.join(10)


def hostnames(ui_url, requests):
    return {http(f"{ui_url}/api/hostname")[1] for _ in range(requests)}


def container_hostname(name):
    return docker("inspect", name, "-f", "{{.Config.Hostname}}")


def prepare_images(args, report, created_images):
    """Tag the source images under the job's registry and tag, as `docker load` would."""
    sources = {f"yelb-{tier}": f"{args.images}/yelb-{tier}:{args.source_tag}" for tier in ("ui", "appserver", "db")}
    sources["redis"] = args.redis_image
    for name, source in sources.items():
        target = f"{SCRATCH_REGISTRY}/{name}:{'7-alpine' if name == 'redis' else SCRATCH_TAG}"
        docker("tag", source, target)
        created_images.append(target)
    ui_image = f"{SCRATCH_REGISTRY}/yelb-ui:{SCRATCH_TAG}"
    has_reload = docker("run", "--rm", "--entrypoint", "test", ui_image, "-x", "/opt/yelb-ui/reload.sh",
                        check=False, quiet=True) == 0
    if not has_reload:
        report.step(f"{sources['yelb-ui']} predates reload.sh: layering this checkout's yelb-ui/nginx/ on it")
        with tempfile.TemporaryDirectory(prefix=f"{PREFIX}-ui-") as context:
            shutil.copytree(UI_NGINX_DIR, Path(context) / "nginx")
            (Path(context) / "Dockerfile").write_text(f"FROM {ui_image}\nCOPY nginx/ /opt/yelb-ui/\n")
            subprocess.run(["docker", "build", "-q", "-t", ui_image, context], check=True, capture_output=True,
                           env={**os.environ, "DOCKER_BUILDKIT": "0"}, timeout=300)


def run(args):
    report = Report()
    workdir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}-"))
    created_images = []
    client = None
    try:
        report.step("images under the job's registry and tag")
        prepare_images(args, report, created_images)
        ui_port_probe = socket.socket()
        ui_port_probe.bind(("", 0))
        ui_port = ui_port_probe.getsockname()[1]
        ui_port_probe.close()
        job = load_job(overrides={"registry": SCRATCH_REGISTRY, "tag": SCRATCH_TAG, "ui_port": ui_port})
        client = Client(job, workdir)
        client.create_network()
        report.step(f"client address {client.address}; backends")

        for group in ("db", "cache"):
            container, ports = client.start(group)
            if report.check(f"{group}: {container} passes its checks", client.passes_checks(group, ports),
                            docker("logs", "--tail", "5", container, check=False)):
                client.register(group, container, ports)

        report.step(f"appserver x{job.groups['appserver'].count} (the job's count)")
        appservers = []
        for index in range(job.groups["appserver"].count):
            appservers.append(client.start("appserver", index))
        for container, ports in appservers:
            ready = client.passes_checks("appserver", ports)
            report.check(f"appserver: {container} passes /readyz and /healthz", ready,
                         docker("logs", "--tail", "5", container, check=False))
            _, body = http(f"http://{client.address}:{ports['http']}/readyz")
            readiness = json.loads(body).get("checks", {})
            report.check(f"appserver: {container} uses PostgreSQL and Redis from the catalogue",
                         all(check.get("status") == "up" for check in readiness.values()) and readiness, body)
            client.register("appserver", container, ports)
        for index, (container, ports) in enumerate(appservers):
            _, body = http(f"http://{client.address}:{ports['http']}/api/whereami")
            where = json.loads(body)
            expected_where = {"orchestrator": "nomad", "instance": f"{job.name}.appserver[{index}]",
                              "node": NODE_NAME, "group": job.name, "zone": DATACENTER, "region": REGION}
            report.check(f"appserver: {container}'s /api/whereami reports its allocation, job, node and datacenter",
                         {key: where.get(key) for key in expected_where} == expected_where, body)

        report.step("ui")
        ui_container, ui_ports = client.start("ui")
        ui_url = f"http://{client.address}:{ui_ports['http']}"
        report.check(f"ui: {ui_container} passes /healthz on the job's ui_port", client.passes_checks("ui", ui_ports),
                     docker("logs", "--tail", "5", ui_container, check=False))
        status, page = http(f"{ui_url}/")
        report.check("ui: the page loads", status == 200 and "<html" in page.lower(), str(status))
        expected = {container_hostname(name) for name, _ in appservers}
        seen = hostnames(ui_url, 12)
        report.check(f"ui: hostnames rotate through the {len(expected)} appservers", seen == expected, f"{seen}")

        report.step("scale the appserver group to 3; the UI follows through its change script")
        third = client.start("appserver", len(appservers))
        report.check(f"appserver: {third[0]} passes its checks", client.passes_checks("appserver", third[1]))
        appservers.append(third)
        started_at = docker("inspect", ui_container, "-f", "{{.State.StartedAt}}")
        poller = Poller(f"{ui_url}/api/hostname")
        poller.start()
        time.sleep(1)
        client.register("appserver", *third)
        ((_, ui_task),) = job.groups["ui"].tasks.items()
        (template,) = ui_task.templates
        local = workdir / ui_container / "local"
        (local / template.destination.removeprefix("local/")).write_text(
            render_template(template.data, client.catalogue, NOMAD_VARIABLES))
        script = template.change_script
        exec_status = docker("exec", ui_container, script["command"], *script["args"], check=False, quiet=True)
        report.check("ui: the change script ran in the running container", exec_status == 0)
        expected = {container_hostname(name) for name, _ in appservers}
        rotated = wait_for(lambda: set(poller.answers[-30:]) == expected, 20)
        time.sleep(1)
        poller.stop()
        report.check("ui: hostnames rotate through the 3 appservers", rotated, f"{set(poller.answers[-30:])}")
        report.check(f"ui: no failed request across the change ({len(poller.answers)} answered)",
                     poller.failures == [], f"{poller.failures[:5]}")
        report.check("ui: the UI task was not restarted",
                     docker("inspect", ui_container, "-f", "{{.State.StartedAt}}") == started_at)

        report.step("vote through the UI")
        _, options = http(f"{ui_url}/api/options")
        option = json.loads(options)[0]
        option = option["name"] if isinstance(option, dict) else option
        before = votes_for(ui_url, option)
        status, _ = http(f"{ui_url}/api/votes/{option}", method="POST")
        # A replica may share its results for up to YELB_READ_CACHE_SECONDS (0.25 s by default):
        # a vote through another replica shows there within that bound.
        time.sleep(0.5)
        after = {votes_for(ui_url, option) for _ in range(6)}  # read through every replica
        report.check(f"vote: POST /api/votes/{option} counts once, the same on every replica",
                     status in (200, 201) and after == {before + 1}, f"status {status}, {before} -> {after}")
    except Exception as error:  # noqa: BLE001 - a broken run is one failure, then cleanup
        report.check("the run completes", False, f"{type(error).__name__}: {error}")
    finally:
        if client:
            client.remove_all()
        for image in created_images:
            docker("rmi", image, check=False, quiet=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"nomad-e2e: {report.passed} passed, {report.failed} failed")
    return report.failed == 0


def votes_for(ui_url, option):
    _, body = http(f"{ui_url}/api/getvotes")
    return next(int(entry["value"]) for entry in json.loads(body) if entry["name"] == option)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", default="ghcr.io/yelb-project", help="registry path of the built Yelb images")
    parser.add_argument("--source-tag", default=load_job().variables["tag"], help="their tag (default: the job's)")
    parser.add_argument("--redis-image", default="yelb-e2e/redis:latest", help="Redis image to run as the mirror")
    sys.exit(0 if run(parser.parse_args()) else 1)


if __name__ == "__main__":
    main()
