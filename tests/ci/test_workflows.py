"""The GitHub Actions workflows: actionlint (with shellcheck on every `run:`)
and what actionlint does not check: every action pinned to a commit with its
version beside it, least-privilege permissions, no stored git credentials,
and the scripts the steps run. The workflows themselves only run on GitHub.

Each check is a function over a repository folder, so the last tests can run
them on a broken copy and see them fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(sys.executable).parent  # actionlint and shellcheck come from requirements-dev.txt

# owner/repo[/path]@<40-hex commit>  # vX.Y.Z
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+(?:/[\w./-]+)?)@(?P<commit>[0-9a-f]{40})$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)\s*(?:#\s*(?P<comment>.*))?$")
VERSION_COMMENT = re.compile(r"^v\d+\.\d+\.\d+$")

# Beyond reading the repository, a scope is granted only to a job that uses it.
SCOPE_USERS = {
    "id-token": "signs with cosign (sigstore/cosign-installer)",
    "packages": "logs in to GHCR (docker/login-action or a step given secrets.GITHUB_TOKEN)",
}


def workflow_files(root: Path) -> list[Path]:
    return sorted((root / ".github" / "workflows").glob("*.y*ml"))


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps_of(job: dict) -> list[dict]:
    return job.get("steps") or []


def actionlint(root: Path, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TOOLS / "actionlint"), "-oneline", "-no-color", "-shellcheck", str(TOOLS / "shellcheck"),
         *[str(f.relative_to(root)) for f in files]],
        cwd=root, capture_output=True, text=True, timeout=120)


def actionlint_problems(root: Path) -> list[str]:
    result = actionlint(root, *workflow_files(root))
    return result.stdout.splitlines() + result.stderr.splitlines() if result.returncode else []


def input_problems(root: Path, scratch: Path) -> list[str]:
    """actionlint knows the inputs of popular actions by version tag, not by
    commit: lint a copy with each pin turned back into its major tag."""
    copy = scratch / "as-tags"
    shutil.copytree(root / ".github", copy / ".github")
    for path in workflow_files(copy):
        path.write_text(re.sub(r"@[0-9a-f]{40}\s*#\s*(v\d+)\.\d+\.\d+", r"@\1", path.read_text()))
    return actionlint_problems(copy)


def pin_problems(root: Path) -> list[str]:
    problems, versions = [], {}
    for path in workflow_files(root):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES_LINE.match(line)
            if not match:
                continue
            where, ref, comment = f"{path.name}:{number}", match["ref"], (match["comment"] or "").strip()
            if ref.startswith("./"):
                continue
            pinned = PINNED.match(ref)
            if not pinned:
                problems.append(f"{where}: {ref} is not pinned to a full commit SHA")
                continue
            if not VERSION_COMMENT.match(comment):
                problems.append(f"{where}: {ref} needs its release beside it, as '# vX.Y.Z' (got '{comment}')")
            versions.setdefault(pinned["action"], set()).add((pinned["commit"], comment))
        # Every `uses:` the YAML holds must have been seen on a line of its own above.
        lines = sum(1 for line in path.read_text().splitlines() if USES_LINE.match(line))
        parsed = sum(1 for job in load(path)["jobs"].values()
                     for entry in [job, *steps_of(job)] if "uses" in entry)
        if lines != parsed:
            problems.append(f"{path.name}: {parsed} uses: entries, {lines} on lines of their own")
    problems += [f"{action} is pinned to more than one commit/version: {sorted(pins)}"
                 for action, pins in versions.items() if len(pins) > 1]
    return problems


def _logs_in(job: dict) -> bool:
    for step in steps_of(job):
        if step.get("uses", "").startswith("docker/login-action@"):
            return True
        if any("secrets.GITHUB_TOKEN" in str(value) for value in (step.get("env") or {}).values()):
            return True
    return False


def _signs(job: dict) -> bool:
    return any(step.get("uses", "").startswith("sigstore/cosign-installer@") for step in steps_of(job))


def permission_problems(root: Path) -> list[str]:
    problems = []
    for path in workflow_files(root):
        workflow = load(path)
        if workflow.get("permissions") != {}:
            problems.append(f"{path.name}: the workflow must grant nothing (permissions: {{}}), "
                            f"each job asks for its own; got {workflow.get('permissions')!r}")
        for name, job in workflow["jobs"].items():
            permissions = job.get("permissions")
            if not isinstance(permissions, dict):
                problems.append(f"{path.name}: job {name} must list its permissions, got {permissions!r}")
                continue
            for scope, level in permissions.items():
                if (scope, level) == ("contents", "read"):
                    continue
                if scope not in SCOPE_USERS or level not in ("read", "write"):
                    problems.append(f"{path.name}: job {name} may not have {scope}: {level}")
                elif not (_signs(job) if scope == "id-token" else _logs_in(job)):
                    problems.append(f"{path.name}: job {name} has {scope}: {level} "
                                    f"but never {SCOPE_USERS[scope]}")
    return problems


def checkout_problems(root: Path) -> list[str]:
    return [f"{path.name}: job {name}: actions/checkout must set persist-credentials: false"
            for path in workflow_files(root)
            for name, job in load(path)["jobs"].items()
            for step in steps_of(job)
            if step.get("uses", "").startswith("actions/checkout@")
            and (step.get("with") or {}).get("persist-credentials") is not False]


def script_problems(root: Path) -> list[str]:
    problems, called = [], set()
    for path in workflow_files(root):
        for name, job in load(path)["jobs"].items():
            image = (job.get("container") or {}).get("image", "")
            if image and (":" not in image or image.endswith(":latest")):
                problems.append(f"{path.name}: job {name}: container {image!r} needs a release tag")
            for step in steps_of(job):
                for script in re.findall(r"scripts/ci/[\w.-]+\.sh", step.get("run", "")):
                    called.add(script)
                    if not os.access(root / script, os.X_OK):
                        problems.append(f"{path.name}: job {name} runs {script}, "
                                        "which is missing or not executable")
    for script in sorted((root / "scripts" / "ci").glob("*.sh")):
        relative = str(script.relative_to(root))
        if relative not in called and script.name != "common.sh":
            problems.append(f"{relative} is run by no workflow")
    return problems


def test_actionlint_passes_on_every_workflow():
    assert workflow_files(REPO), "no workflow under .github/workflows"
    result = actionlint(REPO, *workflow_files(REPO))
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_inputs_are_those_of_the_pinned_major_version(tmp_path):
    assert input_problems(REPO, tmp_path) == []


def test_every_action_is_pinned_to_a_commit_with_its_version():
    assert pin_problems(REPO) == []


def test_each_job_has_only_the_permissions_it_uses():
    assert permission_problems(REPO) == []


def test_checkouts_leave_no_git_credentials_behind():
    assert checkout_problems(REPO) == []


def test_steps_run_existing_scripts_and_every_script_is_run():
    assert script_problems(REPO) == []


def test_the_release_is_gated_on_the_plan_and_signs_what_it_pushes():
    release = load(REPO / ".github" / "workflows" / "release.yml")
    jobs = release["jobs"]
    assert triggers(release) == {"push": {"tags": ["v*"]}}
    for name, job in jobs.items():
        if name != "plan":
            assert "plan" in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"]), name
        if job["permissions"].get("packages") == "write":
            runs = " ".join(step.get("run", "") for step in steps_of(job))
            assert "cosign sign --yes" in runs, f"job {name} pushes but signs nothing"
    build = next(step for step in steps_of(jobs["images"]) if step.get("id") == "build")["with"]
    assert build["platforms"] == "linux/amd64,linux/arm64"
    assert build["push"] is True and build["sbom"] is True


def test_the_checks_fail_on_a_broken_copy(tmp_path):
    """Each check above, on a copy with one breakage of its kind."""
    broken = tmp_path / "repo"
    shutil.copytree(REPO / ".github", broken / ".github")
    shutil.copytree(REPO / "scripts", broken / "scripts")
    ci = broken / ".github" / "workflows" / "ci.yml"
    text = ci.read_text()
    text = text.replace("actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0",
                        "actions/checkout@v5", 1)                      # unpinned
    text = text.replace("permissions: {}", "permissions: write-all", 1)  # broad token
    text = text.replace("persist-credentials: false", "persist-credentials: true", 1)
    text = text.replace("run: scripts/ci/nomad-deployment.sh", "run: scripts/ci/nomad-deploy.sh $1")
    text = text.replace("image: debian:bookworm", "image: debian")
    text = text.replace("  kind:\n", "  kind:\n    needs: nope\n")
    ci.write_text(text)
    release = broken / ".github" / "workflows" / "release.yml"
    release.write_text(release.read_text().replace("          sbom: true", "          sbom-please: true"))

    lint = "\n".join(actionlint_problems(broken))
    assert 'job "kind" needs job "nope"' in lint
    assert "shellcheck reported issue" in lint
    assert 'input "sbom-please" is not defined' in "\n".join(input_problems(broken, tmp_path))
    assert any("actions/checkout@v5 is not pinned" in p for p in pin_problems(broken))
    assert any("permissions: {}" in p and "write-all" in p for p in permission_problems(broken))
    assert any("persist-credentials: false" in p for p in checkout_problems(broken))
    scripts = script_problems(broken)
    assert any("scripts/ci/nomad-deploy.sh, which is missing" in p for p in scripts)
    assert "scripts/ci/nomad-deployment.sh is run by no workflow" in scripts
    assert any("container 'debian' needs a release tag" in p for p in scripts)


def test_a_write_scope_without_its_use_is_refused(tmp_path):
    broken = tmp_path / "repo"
    shutil.copytree(REPO / ".github", broken / ".github")
    ci = broken / ".github" / "workflows" / "ci.yml"
    ci.write_text(ci.read_text().replace(
        "  nomad:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n",
        "  nomad:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n"
        "      id-token: write\n      packages: write\n      actions: write\n"))
    problems = permission_problems(broken)
    assert "ci.yml: job nomad has id-token: write but never signs with cosign " \
           "(sigstore/cosign-installer)" in problems
    assert any(p.startswith("ci.yml: job nomad has packages: write but never logs in") for p in problems)
    assert "ci.yml: job nomad may not have actions: write" in problems
