"""Where the container files are, and `docker-compose config` as a loader."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ROOT_COMPOSE = REPO / "docker-compose.yml"
SWARM_STACK = REPO / "deployments" / "swarm" / "docker-stack.yml"
# Overrides applied on top of the root file; a new one joins by being there.
COMPOSE_OVERRIDES = sorted((REPO / "deployments" / "compose").glob("*.yml"))
# Every compose-format file we ship.
COMPOSE_FILES = [ROOT_COMPOSE, SWARM_STACK, *COMPOSE_OVERRIDES]
PROFILES = ("loadgen", "monitoring", "registry")
TIERS = ("yelb-ui", "yelb-appserver", "redis-server", "yelb-db")
DOCKERFILES = {
    "yelb-appserver": REPO / "yelb-appserver" / "Dockerfile",
    "yelb-ui": REPO / "yelb-ui" / "Dockerfile",
    "yelb-db": REPO / "yelb-db" / "Dockerfile",
    "yelb-loadgen": REPO / "loadgen" / "Dockerfile",
}


def tool(name: str, package: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(REPO / ".venv" / "bin"))
    assert path, f"{name} is not installed (scripts/bootstrap installs {package})"
    return path


def compose_command(path: Path, profiles=PROFILES) -> list[str]:
    """docker-compose reading PATH (an override: on top of the root file)."""
    command = [tool("docker-compose", "docker-compose"), "--project-directory", str(REPO)]
    for file in ([ROOT_COMPOSE, path] if path in COMPOSE_OVERRIDES else [path]):
        command += ["-f", str(file)]
    for profile in profiles:
        command += ["--profile", profile]
    return command


def compose_config(path: Path, env: dict[str, str] | None = None, profiles=PROFILES) -> dict:
    """The file as docker-compose resolves it: variables, anchors, profiles."""
    command = compose_command(path, profiles)
    result = subprocess.run(command + ["config"], capture_output=True, text=True, timeout=60,
                            env={"PATH": os.environ["PATH"], **(env or {})}, cwd=REPO)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined, current = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        current += " " + stripped.rstrip("\\").strip()
        if not stripped.endswith("\\"):
            joined.append(current.strip())
            current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1] if " " in text else "")
            for text in joined]
