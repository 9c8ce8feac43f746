"""The Dockerfiles keep the promises of the images: a mirrorable, pinned base
image, a non-root user, health checks on real endpoints, OCI labels, defaults
that match the original deployment, and nothing tied to one architecture or to
BuildKit. e2e/run.sh builds and runs them; this reads them."""

from __future__ import annotations

import re

import pytest

from .files import DOCKERFILES, REPO, instructions

BASE_ARGS = {"yelb-appserver": "PYTHON_IMAGE", "yelb-ui": "NGINX_IMAGE", "yelb-db": "POSTGRES_IMAGE",
             "yelb-loadgen": "PYTHON_IMAGE"}
PUBLIC_BASES = {"yelb-appserver": "python:", "yelb-ui": "nginx:", "yelb-db": "postgres:", "yelb-loadgen": "python:"}
WITH_HEALTHCHECK = ("yelb-appserver", "yelb-ui", "yelb-db")
names = pytest.mark.parametrize("name", DOCKERFILES)


def of(name: str, instruction: str) -> list[str]:
    return [args for op, args in instructions(DOCKERFILES[name]) if op == instruction]


def env_of(name: str) -> dict[str, str]:
    env = {}
    for args in of(name, "ENV"):
        env.update(re.findall(r"(\w+)=(\S+)", args))
    return env


def public_base(name: str) -> str:
    """The default base image, written once as ${ARG:-default}."""
    text = DOCKERFILES[name].read_text()
    defaults = set(re.findall(r"\$\{%s:-([^}]+)\}" % BASE_ARGS[name], text))
    assert len(defaults) == 1, f"{name}: one default for {BASE_ARGS[name]}, found {defaults}"
    return defaults.pop()


@names
def test_base_image_is_a_build_argument_with_a_pinned_public_default(name):
    assert f"ARG {BASE_ARGS[name]}=" in [f"ARG {args}" for args in of(name, "ARG")]
    base = public_base(name)
    assert base.startswith(PUBLIC_BASES[name])
    # An exact release (major.minor[.patch]) with its Debian suite, never latest.
    assert re.fullmatch(r"[a-z/]+:\d+\.\d+(\.\d+)?(-slim)?-bookworm", base), base
    for image in of(name, "FROM"):
        assert image.startswith("${"), f"{name}: FROM {image} does not go through the build argument"


@names
def test_runs_as_a_non_root_user(name):
    users = of(name, "USER")
    assert users, f"{name} has no USER"
    assert users[-1].split(":")[0] not in ("root", "0")


@pytest.mark.parametrize("name", WITH_HEALTHCHECK)
def test_healthcheck_probes_the_service_itself(name):
    (check,) = of(name, "HEALTHCHECK")
    assert "--interval=" in check and "--timeout=" in check and "--retries=" in check
    probe = {"yelb-appserver": "/healthz", "yelb-ui": "/healthz", "yelb-db": "pg_isready"}[name]
    assert probe in check


@names
def test_oci_labels(name):
    labels = " ".join(of(name, "LABEL"))
    for key in ("source", "version", "revision", "title", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels, f"{name}: no {key} label"
    assert 'org.opencontainers.image.revision="${REVISION}"' in labels
    assert 'org.opencontainers.image.version="${VERSION}"' in labels


@names
def test_builds_with_the_classic_builder_on_any_architecture(name):
    text = DOCKERFILES[name].read_text()
    for buildkit_only in ("--chmod", "--mount=", "--link", "<<EOF", "# syntax="):
        assert buildkit_only not in text, f"{name} uses {buildkit_only}"
    code = "\n".join(args for _, args in instructions(DOCKERFILES[name]))
    for arch in ("amd64", "x86_64", "arm64", "aarch64", "--platform"):
        assert arch not in code, f"{name} names {arch}"


def test_appserver_defaults_match_the_original_deployment():
    env = env_of("yelb-appserver")
    assert env["YELB_DB_SERVER_ENDPOINT"] == "yelb-db"
    assert env["REDIS_SERVER_ENDPOINT"] == "redis-server"
    assert of("yelb-appserver", "EXPOSE") == ["4567"]
    assert of("yelb-appserver", "CMD") == ['["yelb-appserver"]']


def test_ui_defaults_match_the_original_deployment():
    env = env_of("yelb-ui")
    assert env["YELB_APPSERVER_ENDPOINT"] == "http://yelb-appserver:4567"
    assert env["YELB_UI_PORT"] == "8080"
    assert of("yelb-ui", "EXPOSE") == ["8080"]
    # The entrypoint and the files it renders are the UI front's own.
    assert of("yelb-ui", "ENTRYPOINT") == ['["/opt/yelb-ui/entrypoint.sh"]']
    assert (REPO / "yelb-ui" / "nginx" / "entrypoint.sh").is_file()


def test_db_defaults_match_the_appserver_defaults():
    from yelb_appserver.config import SETTINGS

    defaults = {setting.name: setting.default for setting in SETTINGS}
    env = env_of("yelb-db")
    assert env["POSTGRES_DB"] == defaults["YELB_DB_NAME"]
    assert env["POSTGRES_USER"] == defaults["YELB_DB_USER"]
    assert env["POSTGRES_PASSWORD"] == defaults["YELB_DB_PASSWORD"]


@pytest.mark.parametrize("image, folder, direct", [
    ("yelb-appserver", "yelb-appserver", "flask"), ("yelb-loadgen", "loadgen", "locust")])
def test_python_images_install_only_pinned_requirements(image, folder, direct):
    lines = [line.strip() for line in (REPO / folder / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert any(line.startswith(f"{direct}==") for line in lines)
    for line in lines:
        assert re.fullmatch(r"[a-z0-9_.\-\[\]]+==[\w.]+( ; python_full_version < \"[\d.]+\")?", line), \
            f"unpinned: {line}"
    assert "-r requirements.txt" in " ".join(of(image, "RUN"))


def test_python_images_install_from_a_wheelhouse_only_when_asked():
    for name in ("yelb-appserver", "yelb-loadgen"):
        assert "WHEELHOUSE=" in of(name, "ARG")
        run = " ".join(of(name, "RUN"))
        assert 'if [ -n "$WHEELHOUSE" ]; then set -- --no-index --find-links' in run


@pytest.mark.parametrize("context", ["yelb-appserver", "yelb-ui", "loadgen"])
def test_build_context_leaves_out_what_the_image_does_not_need(context):
    patterns = [line.strip() for line in (REPO / context / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    if context == "yelb-appserver":
        assert {"**/__pycache__", "tests", ".venv"} <= set(patterns)
    else:
        # Allow-list: everything out, then the few paths the image copies.
        assert patterns[0] == "*" and all(p.startswith("!") for p in patterns[1:])
