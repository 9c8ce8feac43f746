"""Chapters 1 to 3 of the learning path work as printed, on the default ports or, when those
are taken, on ports exported as the path's README says; what they say the start-up log
shows is there, and their answers point at files that hold what they name."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

from tests.docs.learning_path import (CHAPTERS, Server, Terminal, answer_problems, as_user, free_ports, fresh_clone,
                                      port_is_free, start_up_log_claims, steps)
from tests.docs.markdown import ROOT
from yelb_appserver.config import SETTINGS

# Each port the chapters use, and how many from it on (the appserver's is followed by chapter 3's replicas).
PORTS = {"YELB_APPSERVER_PORT": 4, "YELB_DB_PORT": 1, "REDIS_SERVER_PORT": 1, "YELB_UI_PORT": 1}


def default_port(name: str) -> int:
    if name == "YELB_UI_PORT":
        script = (ROOT / "yelb-ui" / "nginx" / "render-config.sh").read_text()
        return int(re.search(r"\$\{YELB_UI_PORT:-(\d+)\}", script).group(1))
    return int(next(setting.default for setting in SETTINGS if setting.name == name))


def learner_env(ports: dict[str, int]) -> dict[str, str]:
    """This environment as a learner's shell has it: none of Yelb's settings or the test's
    Python, plus the ports to export."""
    tools = str(Path(sys.executable).parent)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("YELB_", "REDIS_", "PYTHON", "PROMETHEUS_", "PG", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(part for part in env["PATH"].split(os.pathsep) if part != tools)
    env.update({name: str(port) for name, port in ports.items()})
    return env


def run_path(chapters: list[Path], folder: Path, env: dict[str, str], user: str | None = None) -> dict[Path, str]:
    """Run the chapters' blocks in order in a fresh clone under folder; the output of each chapter's servers."""
    clone = fresh_clone(folder / "clone")
    work = folder / "work"
    work.mkdir()
    if user:
        subprocess.run(["chown", "-R", user, str(folder)], check=True)
    terminal = Terminal(clone, work, env, user)
    running: list[Server] = []
    output = {chapter: "" for chapter in chapters}

    def stop_servers():
        for server in running:
            server.stop()
            output[server.step.chapter] += server.log()
        running.clear()

    try:
        for chapter in chapters:
            for step in steps([chapter]):
                if step.kind == "server":
                    stop_servers()
                    running.append(Server(step, clone, work, env, user))
                    running[-1].wait_until_listening()
                elif step.kind == "refused":
                    result = subprocess.run(as_user(user, ["bash", "-c", step.text]), cwd=clone, env=env,
                                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
                    said = result.stdout + result.stderr
                    assert result.returncode != 0 and step.refusal in said, f"{step.where}: not refused as printed\n{said}"
                else:
                    failed = terminal.run(step)
                    assert failed == [], f"{step.where}: {failed}\n{terminal.log()}"
            stop_servers()
        leftovers = terminal.leftovers()
        assert leftovers == [], f"the chapters' clean-up leaves these running: {leftovers}"
    finally:
        stop_servers()
        terminal.close()
    return output


@pytest.fixture
def learner_folder():
    """Where a run keeps its clone, in /tmp where a user without root can reach it. A failed run
    may leave its own PostgreSQL (which pg_ctl starts in a session of its own) running: stop it."""
    folder = Path(tempfile.mkdtemp(prefix="yelb-learner-", dir="/tmp"))
    before = set(Path("/tmp").glob("yelb-postgres.*"))
    yield folder
    for data in set(Path("/tmp").glob("yelb-postgres.*")) - before:
        for process in psutil.process_iter(["cmdline"]):
            if str(data) in " ".join(process.info["cmdline"] or []):
                with contextlib.suppress(psutil.Error):
                    process.send_signal(signal.SIGQUIT)  # PostgreSQL's immediate shutdown
        shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)


def ports_for(variant: str) -> tuple[dict[str, int], list[socket.socket]]:
    """Ports to export: none while the defaults are free; with "defaults taken", the test holds
    every default port itself, so only commands that read the environment can work."""
    held = []
    if variant == "defaults taken":
        for name, count in PORTS.items():
            for port in range(default_port(name), default_port(name) + count):
                if port_is_free(port):
                    # Bound, not listening: no server can have the port, and a connection to it
                    # is refused at once instead of waiting for an answer that never comes.
                    holder = socket.socket()
                    holder.bind(("0.0.0.0", port))
                    held.append(holder)
    exported, start = {}, 20000
    for name, count in PORTS.items():
        if not all(port_is_free(port) for port in range(default_port(name), default_port(name) + count)):
            exported[name] = free_ports(count, start)
            start = exported[name] + 10
    return exported, held


# The user without root a root test run becomes; a run without root is that case itself.
NOT_ROOT = "nobody" if os.geteuid() == 0 else None


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("who, variant", [("root", "defaults"), ("without root", "defaults taken")])
def test_chapters_1_to_3_run_as_printed(who, variant, learner_folder):
    if who == "root" and os.geteuid() != 0:
        pytest.skip("root's way through the chapters needs root")
    exported, held = ports_for(variant)
    try:
        output = run_path(CHAPTERS, learner_folder, learner_env(exported), None if who == "root" else NOT_ROOT)
    finally:
        for holder in held:
            holder.close()
    for chapter in CHAPTERS:
        missing = [claim for claim in start_up_log_claims(chapter) if claim not in output[chapter]]
        assert missing == [], f"{chapter.name}: the start-up log has none of {missing}"
    assert start_up_log_claims(CHAPTERS[0]) and start_up_log_claims(CHAPTERS[1])


def test_the_answers_point_at_files_that_hold_them():
    assert [problem for chapter in CHAPTERS for problem in answer_problems(chapter)] == []


def test_a_command_that_fails_fails_the_run(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text("```sh\ntrue\nls /no/such/folder   # a typo in the chapter\necho after\n```\n")
    with pytest.raises(AssertionError, match=r"chapter.md:1: \['ls /no/such/folder \(exit 2\)'\]"):
        run_path([chapter], tmp_path, learner_env({}))


def test_a_server_that_does_not_start_fails_the_run(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text("```sh\n# in a terminal of its own; Ctrl-C stops it\nexit 3\n```\n")
    with pytest.raises(AssertionError, match="chapter.md:1: exited with 3"):
        run_path([chapter], tmp_path, learner_env({}))


def test_a_command_shown_as_refused_must_be_refused(tmp_path):
    chapter = tmp_path / "chapter.md"
    chapter.write_text("```sh\necho fine   # refused: no such thing\n```\n")
    with pytest.raises(AssertionError, match="not refused as printed"):
        run_path([chapter], tmp_path, learner_env({}))


def test_an_answer_naming_what_its_files_do_not_hold_is_found(tmp_path):
    (tmp_path / "code.py").write_text("TIMEOUT = 2\n")
    chapter = tmp_path / "chapter.md"
    chapter.write_text("**Answer:** `TIMEOUT` and `YELB_NOT_THERE=1`, in [`code.py`](code.py).\n")
    assert answer_problems(chapter) == ["chapter.md: `YELB_NOT_THERE` is in none of ['code.py']"]
