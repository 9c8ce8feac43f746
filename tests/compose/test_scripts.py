"""scripts/docker: what they do without building anything (the full build,
push and deploy run in e2e/run.sh against a real engine and registry)."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

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


@pytest.mark.parametrize("script", ["push.sh", "push-chart.sh"])
def test_push_needs_a_registry(script):
    result = run(script)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{script}: set YELB_REGISTRY=<host>/<project>")


@pytest.mark.parametrize("registry", ["https://harbor.example.com/yelb", "harbor.example.com/yelb/"])
@pytest.mark.parametrize("script", ["images.sh", "push.sh", "push-chart.sh", "deploy.sh"])
def test_a_registry_url_is_refused_in_one_line_naming_it(script, registry):
    result = run(script, YELB_REGISTRY=registry)
    assert result.returncode == 2
    assert result.stderr == (f"{script}: YELB_REGISTRY={registry}: give <host>/<project>, "
                             "without a scheme or a trailing slash\n")


def test_each_script_says_when_no_engine_answers():
    for script in ("images.sh", "push.sh", "deploy.sh"):
        result = run(script, YELB_REGISTRY="registry.example.com/yelb")
        assert result.returncode == 1, script
        assert result.stderr.strip() == (f"{script}: no Docker engine answers (is dockerd running? "
                                         "DOCKER_HOST=unix:///nonexistent/docker.sock)")


def test_the_default_tag_is_the_release_version():
    """The scripts read the version from the appserver's pyproject.toml; the
    chart's appVersion, the tag every other format defaults to, must agree."""
    result = subprocess.run(["bash", "-c", f". {SCRIPTS / 'common.sh'}; echo $YELB_REGISTRY $YELB_TAG"],
                            capture_output=True, text=True, timeout=10, env=NO_ENGINE)
    chart = yaml.safe_load((REPO / "deployments" / "helm" / "yelb" / "Chart.yaml").read_text())
    assert result.stdout.split() == ["ghcr.io/yelb-project", str(chart["appVersion"])]
    assert str(chart["appVersion"]) != "latest"


def test_scripts_are_valid_bash():
    for script in sorted(SCRIPTS.glob("*.sh")) + sorted((REPO / "tests" / "compose" / "e2e").glob("*.sh")):
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=10)
        assert result.returncode == 0, f"{script}: {result.stderr}"
