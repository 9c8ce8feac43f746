"""scripts/docker: what they do without building anything (the full build,
push and deploy run in e2e/run.sh against a real engine and registry)."""

from __future__ import annotations

import os
import subprocess

from .files import REPO

SCRIPTS = REPO / "scripts" / "docker"
NO_ENGINE = {"PATH": os.environ["PATH"], "DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPTS / script), *args], capture_output=True, text=True, timeout=30,
                          env={**NO_ENGINE, **env})


def test_images_rejects_an_unknown_image_before_anything_else():
    result = run("images.sh", "yelb-nope")
    assert result.returncode == 2
    assert result.stderr.strip() == ("images: unknown image yelb-nope "
                                     "(one of: yelb-appserver yelb-ui yelb-db yelb-loadgen)")


def test_push_needs_a_registry():
    result = run("push.sh")
    assert result.returncode == 2
    assert "set REGISTRY=<host>/<project>" in result.stderr


def test_each_script_says_when_no_engine_answers():
    for script in ("images.sh", "push.sh", "deploy.sh"):
        result = run(script, REGISTRY="registry.example.com/yelb")
        assert result.returncode == 1, script
        assert result.stderr.strip() == (f"{script}: no Docker engine answers (is dockerd running? "
                                         "DOCKER_HOST=unix:///nonexistent/docker.sock)")


def test_scripts_are_valid_bash():
    for script in sorted(SCRIPTS.glob("*.sh")) + sorted((REPO / "tests" / "compose" / "e2e").glob("*.sh")):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=10)
        assert result.returncode == 0, f"{script}: {result.stderr}"
