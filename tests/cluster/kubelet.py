"""kubelet stand-in: runs a pod's containers with Docker as the kubelet would
with a container runtime. A pause container on Docker's default bridge holds
the pod's network, hostname and resolv.conf (cluster DNS, the namespace's
search list, ndots:5); the pod's containers join it. Security context, env,
command/args and volumes come from the rendered spec; probes run from the
node (this host) at their rendered period."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from tests.support.dnsmasq import search_list

from .pods import ConfigError, Pod, container_env, expand

LABEL = "yelb-cluster=1"
RESTART = {"Always": "always", "OnFailure": "on-failure", "Never": "no"}
CRASH_LOOP = 3  # restarts before a pod that never got Ready counts as failed


def docker(*args: str, check: bool = True, timeout: float = 120) -> str:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args[:3])}...: {result.stderr.strip()}")
    return result.stdout.strip()


def _merged_security(pod: Pod, container: dict) -> dict:
    return {**pod.spec.get("securityContext", {}), **container.get("securityContext", {})}


def _user_args(pod: Pod, container: dict, image: str) -> list[str]:
    security = _merged_security(pod, container)
    uid, gid = security.get("runAsUser"), security.get("runAsGroup")
    if security.get("runAsNonRoot"):
        # The kubelet refuses a container it cannot prove non-root.
        effective = uid if uid is not None else docker("image", "inspect", "--format", "{{.Config.User}}", image)
        effective = str(effective).split(":")[0]
        if not effective.isdigit() or int(effective) == 0:
            raise ConfigError(f"{container['name']}: runAsNonRoot and the user is {effective or 'root'!r}, "
                              "not a numeric non-zero UID")
    args = []
    if uid is not None:
        args += ["--user", f"{uid}:{gid}" if gid is not None else str(uid)]
    pod_security = pod.spec.get("securityContext", {})
    for group in [pod_security.get("fsGroup"), *pod_security.get("supplementalGroups", [])]:
        if group is not None:
            args += ["--group-add", str(group)]
    if security.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if security.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    if security.get("privileged"):
        args.append("--privileged")
    capabilities = security.get("capabilities", {})
    args += [arg for cap in capabilities.get("drop", []) for arg in ("--cap-drop", cap)]
    args += [arg for cap in capabilities.get("add", []) for arg in ("--cap-add", cap)]
    if security.get("seccompProfile", {}).get("type") == "Unconfined":
        args += ["--security-opt", "seccomp=unconfined"]
    return args


def _command_args(container: dict, env: dict[str, str]) -> tuple[list[str], list[str]]:
    """(flags before the image, words after it): command replaces ENTRYPOINT (and drops
    CMD, as `--entrypoint` does), args replace CMD."""
    command = [expand(word, env) for word in container.get("command", [])]
    args = [expand(word, env) for word in container.get("args", [])]
    if command:
        return ["--entrypoint", command[0]], command[1:] + args
    return [], args


@dataclass
class Kubelet:
    prefix: str  # names every container and volume this run creates
    dns_address: str
    pause_image: str
    images: dict[str, str]  # image reference in the manifest -> preloaded local image
    objects: dict  # (kind, namespace, name) -> rendered doc
    volumes: list[str] = field(default_factory=list)

    def start(self, pod: Pod, links: dict[str, str]) -> None:
        """Creates the sandbox, then each container; ConfigError leaves the pod not running."""
        pod.sandbox = f"{self.prefix}-{pod.namespace}-{pod.name}"
        dns = ["--dns", self.dns_address, "--dns-option", "ndots:5"]
        dns += [arg for domain in search_list(pod.namespace) for arg in ("--dns-search", domain)]
        docker("run", "-d", "--name", pod.sandbox, "--label", LABEL, "--network", "bridge",
               "--hostname", pod.name, *dns, "--read-only", "--cap-drop", "ALL",
               "--user", "65535:65535", "--entrypoint", "sleep", self.pause_image, "infinity")
        pod.ip = docker("inspect", "--format", "{{.NetworkSettings.IPAddress}}", pod.sandbox)
        volumes = self._volumes(pod)
        restart = RESTART[pod.spec.get("restartPolicy", "Always")]
        for container in pod.spec["containers"]:
            image = self.images[container["image"]]
            env = container_env(pod, container, self.objects, links)
            entrypoint, words = _command_args(container, env)
            mounts = []
            for mount in container.get("volumeMounts", []):
                if "subPath" in mount or mount["name"] not in volumes:
                    raise ConfigError(f"{container['name']}: volume mount {mount['name']} is not modeled")
                readonly = ",readonly" if mount.get("readOnly") else ""
                mounts += ["--mount", f"type=volume,src={volumes[mount['name']]},dst={mount['mountPath']},"
                                      f"volume-nocopy{readonly}"]
            name = f"{pod.sandbox}-{container['name']}"
            workdir = ["--workdir", container["workingDir"]] if container.get("workingDir") else []
            docker("run", "-d", "--name", name, "--label", LABEL, "--network", f"container:{pod.sandbox}",
                   "--restart", restart, *_user_args(pod, container, image), *mounts, *workdir,
                   *[arg for key, value in env.items() for arg in ("--env", f"{key}={value}")],
                   *entrypoint, image, *words)
            pod.containers[container["name"]] = name

    def _volumes(self, pod: Pod) -> dict[str, str]:
        """emptyDir and claims as fresh Docker volumes (no copy of the image's files), with
        the permissions the kubelet gives them: emptyDir world-writable, claims root-owned,
        both group-owned by fsGroup with the setgid bit when the pod sets one."""
        fs_group = pod.spec.get("securityContext", {}).get("fsGroup")
        names = {}
        for volume in pod.spec.get("volumes", []):
            if "emptyDir" in volume:
                names[volume["name"]] = (f"{pod.sandbox}-{volume['name']}", 0o777)
            elif "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                names[volume["name"]] = (f"{self.prefix}-{pod.namespace}-{claim}", 0o755)
        for volume, claim in pod.claims.items():
            names[volume] = (f"{self.prefix}-{pod.namespace}-{claim}", 0o755)
        for volume_name, mode in names.values():
            if volume_name in self.volumes:
                continue
            docker("volume", "create", "--label", LABEL, volume_name)
            self.volumes.append(volume_name)
            path = docker("volume", "inspect", "--format", "{{.Mountpoint}}", volume_name)
            if fs_group is not None:
                os.chown(path, 0, fs_group)
                mode |= 0o2070
            os.chmod(path, mode)
        return {volume: name for volume, (name, _) in names.items()}

    def stop(self, pod: Pod) -> None:
        for name in [*pod.containers.values(), pod.sandbox]:
            if name:
                docker("rm", "--force", "--volumes", name, check=False)

    def remove_volumes(self) -> None:
        for name in self.volumes:
            docker("volume", "rm", "--force", name, check=False)
        self.volumes.clear()

    def logs(self, pod: Pod, lines: int = 15) -> str:
        out = []
        for container, name in pod.containers.items():
            result = subprocess.run(["docker", "logs", "--tail", str(lines), name],
                                    capture_output=True, text=True)
            lines = dict.fromkeys((result.stdout + result.stderr).splitlines())  # once each: restarts repeat them
            out += [f"    [{container}] {line}" for line in lines]
        return "\n".join(out)

    def restarts(self, pod: Pod, container: str) -> int:
        return int(docker("inspect", "--format", "{{.RestartCount}}", pod.containers[container]))

    def exit_code(self, pod: Pod) -> int | None:
        """None while any container runs; otherwise the first non-zero exit code, or 0."""
        codes = []
        for name in pod.containers.values():
            state = json.loads(docker("inspect", "--format", "{{json .State}}", name))
            if state["Running"] or state["Restarting"]:
                return None
            codes.append(state["ExitCode"])
        return next((code for code in codes if code), 0)

    # --- probes ------------------------------------------------------------------

    def probe(self, pod: Pod, container: dict, probe: dict) -> str | None:
        """Runs one probe; None on success, else why it failed."""
        timeout = probe.get("timeoutSeconds", 1)
        if "exec" in probe:
            try:
                result = subprocess.run(["docker", "exec", pod.containers[container["name"]],
                                         *probe["exec"]["command"]], capture_output=True, text=True,
                                        timeout=timeout + 5)
            except subprocess.TimeoutExpired:
                return "exec probe timed out"
            return None if result.returncode == 0 else \
                f"exec {probe['exec']['command']} exit {result.returncode}: {(result.stdout + result.stderr).strip()[:200]}"
        if "httpGet" in probe:
            http = probe["httpGet"]
            if http.get("scheme", "HTTP") != "HTTP":
                return f"httpGet scheme {http['scheme']} is not modeled"
            url = f"http://{pod.ip}:{container_port(container, http['port'])}{http.get('path', '/')}"
            request = urllib.request.Request(url, headers={h["name"]: h["value"] for h in http.get("httpHeaders", [])})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return None if 200 <= response.status < 400 else f"GET {url}: {response.status}"
            except urllib.error.HTTPError as error:
                return f"GET {url}: {error.code}"
            except OSError as error:
                return f"GET {url}: {error}"
        if "tcpSocket" in probe:
            address = (pod.ip, container_port(container, probe["tcpSocket"]["port"]))
            try:
                socket.create_connection(address, timeout=timeout).close()
                return None
            except OSError as error:
                return f"tcp {address}: {error}"
        return f"probe {sorted(probe)} is not modeled"


def container_port(container: dict, port: int | str) -> int | None:
    """A probe's or Service's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    return next((p["containerPort"] for p in container.get("ports", []) if p.get("name") == port), None)


class ProbeState:
    """Startup, then readiness, each at its own period, like the kubelet's probe workers."""

    def __init__(self, container: dict, started_at: float):
        self.container = container
        self.started = "startupProbe" not in container
        self.ready = False
        self.gave_up = False  # the startup probe failed failureThreshold times
        self.failures = 0
        self.last_error = "not probed yet"
        first = container.get("startupProbe") or container.get("readinessProbe") or {}
        self.due = started_at + first.get("initialDelaySeconds", 0)

    def tick(self, kubelet: Kubelet, pod: Pod, now: float) -> None:
        if now < self.due:
            return
        key = "readinessProbe" if self.started else "startupProbe"
        probe = self.container.get(key)
        if probe is None:  # no readiness probe: ready once started
            self.ready = True
            return
        error = kubelet.probe(pod, self.container, probe)
        self.due = now + probe.get("periodSeconds", 10)
        if error is None:
            if self.started:
                self.ready = True
            else:
                self.started = True
                readiness = self.container.get("readinessProbe", {})
                self.due = now + readiness.get("initialDelaySeconds", 0)
            self.failures = 0
        else:
            self.failures += 1
            self.last_error = f"{key}: {error}"
            # The kubelet would kill and restart the container; here that ends the wait.
            self.gave_up = not self.started and self.failures >= probe.get("failureThreshold", 3)
            restarts = kubelet.restarts(pod, self.container["name"])
            if restarts >= CRASH_LOOP:
                self.gave_up = True
                self.last_error = f"CrashLoopBackOff, {restarts} restarts; last {self.last_error}"
