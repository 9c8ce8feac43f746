"""scripts/ci: what can run here of the workflows' scripts. The cluster, the
Nomad agent and the registries exist only on GitHub's runners; the scripts'
own logic (the release plan, overlay discovery, which image a deployment
names, the vote through the UI) runs here for real."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import helm_python as helm
import pytest
import requests

from stack.services import free_port, wait_until

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts" / "ci"
SHELLCHECK = Path(sys.executable).with_name("shellcheck")
VERSION = re.search(r'^version = "(.+)"$', (REPO / "yelb-appserver" / "pyproject.toml").read_text(),
                    re.MULTILINE)[1]


def ci_shell(snippet: str, root: Path = REPO, **env: str) -> subprocess.CompletedProcess:
    """SNIPPET run by bash after sourcing ROOT's scripts/ci/common.sh."""
    return subprocess.run(["bash", "-c", f'. scripts/ci/common.sh\n{snippet}'], cwd=root,
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env})


def release_plan(tag: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPTS / "release-plan.sh")], capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ["PATH"], "GITHUB_REF_NAME": tag,
                               "GITHUB_REPOSITORY_OWNER": "Yelb-Project", **env})


def shell_scripts() -> list[str]:
    """Every shell script in the repository: *.sh, and files whose first line runs a shell."""
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout.split()
    found = []
    for name in tracked:
        path = REPO / name
        if not path.is_file():
            continue
        with path.open("rb") as file:
            first_line = file.readline()
        if name.endswith(".sh") or re.match(rb"#!\S*(/|env )(ba)?sh\b", first_line):
            found.append(name)
    return found


def test_shellcheck_passes_on_every_shell_script_in_the_repository():
    scripts = shell_scripts()
    assert {"scripts/bootstrap", "yelb-ui/nginx/render-config.sh", "scripts/ci/kind-deployments.sh"} <= set(scripts)
    result = subprocess.run([str(SHELLCHECK), "--external-sources", "--severity=warning", *scripts],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_script_stops_at_the_first_error():
    for script in SCRIPTS.glob("*.sh"):
        text = script.read_text()
        assert "set -euo pipefail" in text or '/common.sh"\n' in text, script.name


def test_release_plan_takes_the_version_from_the_tag(tmp_path):
    outputs = tmp_path / "outputs"
    result = release_plan(f"v{VERSION}", GITHUB_OUTPUT=str(outputs))
    assert result.returncode == 0, result.stderr
    lines = outputs.read_text().splitlines()
    assert lines[:2] == [f"version={VERSION}", "registry=ghcr.io/yelb-project"]
    images = re.findall(r'\{"name":"([\w-]+)","context":"([\w.-]+)","file":"([\w/-]+)"\}', lines[2])
    assert sorted(name for name, _, _ in images) == ["yelb-appserver", "yelb-db", "yelb-loadgen", "yelb-ui"]
    for name, context, dockerfile in images:
        assert (REPO / context).is_dir() and (REPO / dockerfile).is_file(), f"{name}: no {dockerfile}"


def test_release_plan_refuses_a_tag_that_is_not_the_version():
    result = release_plan("v99.0.0")
    assert result.returncode == 1
    assert result.stderr.strip() == ("FAIL: release tag v99.0.0 does not match the chart's appVersion "
                                     f"'{VERSION}' (deployments/helm/yelb/Chart.yaml)")
    result = release_plan(VERSION)
    assert result.returncode == 1
    assert result.stderr.strip() == f"FAIL: release tag '{VERSION}' is not v<major>.<minor>.<patch>"


def test_a_deployments_image_stands_for_the_image_built_here():
    cases = {
        f"ghcr.io/yelb-project/yelb-ui:{VERSION}": f"ghcr.io/yelb-project/yelb-ui:{VERSION}",
        "registry.example.com/yelb/yelb-db:1.0.0": f"ghcr.io/yelb-project/yelb-db:{VERSION}",
        "registry.example.com/yelb/redis:7-alpine": "ghcr.io/yelb-project/redis:7-alpine",
        "redis:7-alpine": "ghcr.io/yelb-project/redis:7-alpine",
    }
    for ref, built in cases.items():
        result = ci_shell(f"built_image_for {ref}")
        assert (result.returncode, result.stdout.strip()) == (0, built), result.stderr


def test_an_image_that_would_not_pull_is_named():
    refusals = {
        "ghcr.io/yelb-project/yelb-ui:latest": f"the release publishes ghcr.io/yelb-project/yelb-ui:{VERSION}",
        "docker.io/library/postgres:16": "not an image Yelb builds or mirrors",
        "ghcr.io/yelb-project/yelb-db@sha256:" + "0" * 64: "pinned by digest",
    }
    for ref, reason in refusals.items():
        result = ci_shell(f"built_image_for {ref}")
        assert result.returncode == 1
        assert result.stderr.strip() == f"FAIL: {ref}: {reason}" + (
            ", so this default would not pull" if "publishes" in reason else
            ", cannot stand for an image built here" if "digest" in reason else "")


def test_the_kind_job_finds_every_overlay_itself(tmp_path):
    """A new overlay folder is proven on kind without editing the script."""
    for part in ("scripts/ci", "scripts/docker", "deployments/kubernetes", "yelb-appserver"):
        shutil.copytree(REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    staging = tmp_path / "deployments/kubernetes/overlays/staging"
    staging.mkdir()
    (staging / "kustomization.yaml").write_text("resources: [../../base]\n")
    (tmp_path / "deployments/kubernetes/overlays/notes").mkdir()  # no kustomization.yaml: not a target
    result = ci_shell(". scripts/ci/kind-deployments.sh; kustomize_targets", root=tmp_path)
    assert result.returncode == 0, result.stderr
    overlays = sorted(p.name for p in (REPO / "deployments/kubernetes/overlays").iterdir()
                      if (p / "kustomization.yaml").is_file())
    assert result.stdout.split() == [str(tmp_path / "deployments/kubernetes/base")] + [
        str(tmp_path / "deployments/kubernetes/overlays" / name) for name in sorted([*overlays, "staging"])]


@pytest.mark.parametrize("target", ["base", *sorted(
    f"overlays/{p.name}" for p in (REPO / "deployments/kubernetes/overlays").iterdir() if p.is_dir())])
def test_each_kustomize_target_names_only_images_the_kind_job_can_load(target, tmp_path):
    """The kind job's image loading, dry: every image the render names is one
    built here, and under the default registry it is exactly the released name."""
    rendered = tmp_path / "rendered.yaml"
    with rendered.open("w") as out:
        subprocess.run(["kubectl", "kustomize", str(REPO / "deployments/kubernetes" / target)],
                       stdout=out, check=True, timeout=60)
    result = ci_shell(f'for ref in $(rendered_images "{rendered}"); do '
                      'built=$(built_image_for "$ref"); echo "$ref -> $built"; done')
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) >= 4, result.stdout


def test_the_helm_chart_names_only_images_the_kind_job_can_load(tmp_path):
    """The same for the chart with its default images, rendered by Helm's own
    engine (helm-python-sdk), hooks such as the `helm test` pod included. (The
    password is given only because no cluster is there to generate one.)"""
    with helm.Chart.load(REPO / "deployments/helm/yelb") as chart:
        rendered = chart.render({"db": {"auth": {"password": "offline-render"}}}, name="yelb",
                                namespace="yelb-helm", is_install=True)
    manifests = tmp_path / "rendered.yaml"
    manifests.write_text("\n---\n".join(text for path, text in rendered.items() if path.endswith(".yaml")))
    result = ci_shell(f'for ref in $(rendered_images "{manifests}"); do '
                      'built=$(built_image_for "$ref"); echo "$ref -> $built"; done')
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) >= 4, result.stdout


@pytest.fixture
def static_page():
    """The UI's files from a plain web server: the page loads, /api does not."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              cwd=REPO / "yelb-ui" / "public",
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: subprocess.run(["curl", "-fs", url + "/"], capture_output=True).returncode == 0,
               10, "the static page")
    yield url
    server.terminate()
    server.wait(10)


def test_a_vote_through_the_ui_moves_the_count(appserver_factory):
    app = appserver_factory({"YELB_UI_DIR": str(REPO / "yelb-ui" / "public")})
    url = f"http://127.0.0.1:{app.port}"
    first = requests.get(url + "/api/options", timeout=5).json()[0]["name"]
    for count in (1, 2):
        result = ci_shell("vote_through_ui", UI_URL=url)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"==> voted for {first} through {url}: {count - 1} -> {count}"
    assert {"name": first, "value": 2} in requests.get(url + "/api/getvotes", timeout=5).json()


def test_a_page_whose_api_fails_is_a_failed_vote(static_page):
    result = ci_shell("vote_through_ui", UI_URL=static_page, YELB_CI_API_WAIT="1")
    assert result.returncode == 1
    assert result.stderr.startswith(f"FAIL: {static_page}/api/getvotes still fails after 1 s: ")
