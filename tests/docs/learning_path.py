"""Chapters 1 to 3 of docs/rebuild as a learner runs them: every shell block in order, as printed.

They run in a fresh copy of the clone, as root or as a user without it. A block runs in the
learner's first terminal, one bash for all three chapters, so shell
variables, functions and background jobs carry over as they do for the learner. Two kinds
of block say otherwise in their own words:
- `# in a terminal of its own` as the first line: a server in the foreground, in a bash
  of its own. It runs until the next such block starts or its chapter ends (the text asks
  for Ctrl-C then), and it must listen on a port before the next block runs.
- `# refused: TEXT` after a one-line command: the command must fail, saying TEXT.
Any other command that fails (bash's ERR trap) fails the run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.docs.markdown import ROOT, split
from tests.docs.shell import SHELL_LANGUAGES

CHAPTERS = [ROOT / "docs" / "rebuild" / name
            for name in ("01-one-process.md", "02-postgres-and-redis.md", "03-nginx-front.md")]
OWN_TERMINAL = "# in a terminal of its own"
REFUSED = re.compile(r"#\s*refused:\s*(.+?)\s*$")
INLINE_CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
IDENTIFIER = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(=\S*)?$")


@dataclass(frozen=True)
class Step:
    chapter: Path
    line: int
    text: str
    kind: str  # "shell", "server" or "refused"
    refusal: str = ""

    @property
    def where(self) -> str:
        return f"{self.chapter.name}:{self.line}"


def steps(chapters: list[Path] = CHAPTERS) -> list[Step]:
    found = []
    for chapter in chapters:
        for block in split(chapter.read_text())[0]:
            if block.language not in SHELL_LANGUAGES:
                continue
            refused = REFUSED.search(block.text)
            if block.text.startswith(OWN_TERMINAL):
                found.append(Step(chapter, block.line, block.text, "server"))
            elif refused:
                assert len(block.text.strip().splitlines()) == 1, f"{chapter.name}:{block.line}: one refused command a block"
                found.append(Step(chapter, block.line, block.text, "refused", refused.group(1)))
            else:
                found.append(Step(chapter, block.line, block.text, "shell"))
    return found


def paragraphs(chapter: Path) -> list[str]:
    """The prose of a chapter in paragraphs, each list item one of its own."""
    found, current = [], []
    for _, line in split(chapter.read_text())[1]:
        if not line.strip() or line.startswith("- "):
            if current:
                found.append(" ".join(current))
            current = [line] if line.strip() else []
        else:
            current.append(line.strip())
    if current:
        found.append(" ".join(current))
    return found


def start_up_log_claims(chapter: Path) -> list[str]:
    """What the chapter says the appserver's start-up log line contains."""
    return [code for paragraph in paragraphs(chapter) if "start-up log" in paragraph
            for code in INLINE_CODE.findall(paragraph)]


def answer_problems(chapter: Path) -> list[str]:
    """Every setting or name the exercise's answer shows in `code` must be in a file it links to."""
    prose = [line for _, line in split(chapter.read_text())[1]]
    start = next(number for number, line in enumerate(prose) if line.startswith("**Answer:**"))
    answer = " ".join(line for line in prose[start:] if not line.startswith("Next:"))
    files = [(chapter.parent / target).resolve() for target in LINK.findall(answer)
             if "://" not in target and not target.endswith(".md")]
    assert files, f"{chapter.name}: the answer links to no file"
    texts = [path.read_text() for path in files if path.is_file()]
    names = {match.group(1) for code in INLINE_CODE.findall(answer) if (match := IDENTIFIER.match(code))}
    return [f"{chapter.name}: `{name}` is in none of {[path.name for path in files]}"
            for name in sorted(names) if not any(name in text for text in texts)]


def fresh_clone(target: Path) -> Path:
    """A copy of this clone as a learner has it: the files git knows, without .venv or artefacts."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout
    for name in filter(None, listed.split(b"\0")):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / os.fsdecode(name))
    return target


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_ports(count: int, start: int = 20000) -> int:
    """The first of `count` free consecutive ports."""
    for base in range(start, 60000, 10):
        if all(port_is_free(base + offset) for offset in range(count)):
            return base
    raise RuntimeError("no free ports")


def as_user(user: str | None, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


def log_file(path: Path, user: str | None):
    """A file for a terminal's output that its user owns, as a terminal is: nginx reopens
    /dev/stdout, which needs the user's own permission on the file."""
    opened = path.open("wb")
    if user:
        shutil.chown(path, user)
    return opened


class Terminal:
    """The learner's first terminal: one bash reading each block with `source`."""

    def __init__(self, clone: Path, folder: Path, env: dict[str, str], user: str | None = None):
        self.folder = folder
        self.failed = folder / "failed"
        self.failed.touch()
        if user:
            shutil.chown(self.failed, user)
        self.log_path = folder / "terminal.log"
        self.count = 0
        self.bash = subprocess.Popen(as_user(user, ["bash", "--norc", "--noprofile"]), stdin=subprocess.PIPE,
                                     stdout=log_file(self.log_path, user), stderr=subprocess.STDOUT,
                                     cwd=clone, env=env, start_new_session=True)
        self.earlier = {process.pid for process in psutil.process_iter()}
        self._send(f"set -o pipefail; trap 'echo \"$BASH_COMMAND (exit $?)\" >> {shlex.quote(str(self.failed))}' ERR")

    def _send(self, line: str) -> None:
        self.bash.stdin.write(line.encode() + b"\n")
        self.bash.stdin.flush()

    def run(self, step: Step, timeout: float = 600) -> list[str]:
        """Run a block; the commands of it that failed."""
        self.count += 1
        block, done = self.folder / f"block-{self.count}.sh", self.folder / f"done-{self.count}"
        block.write_text(step.text + "\n")
        before = self.failed.read_text()
        self._send(f"source {shlex.quote(str(block))}; : > {shlex.quote(str(done))}")
        deadline = time.monotonic() + timeout
        while not done.exists():
            assert self.bash.poll() is None, f"{step.where}: the terminal's bash exited\n{self.log()}"
            assert time.monotonic() < deadline, f"{step.where}: still running after {timeout} s\n{self.log()}"
            time.sleep(0.2)
        return self.failed.read_text()[len(before):].splitlines()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def leftovers(self, grace: float = 30) -> list[str]:
        """Processes the blocks started that still run after `grace` seconds to finish: jobs of
        this bash (without job control they stay in its process group) and PostgreSQL servers
        (pg_ctl gives them a session of their own) of the learner's folders."""
        deadline = time.monotonic() + grace
        while (found := self._running()) and time.monotonic() < deadline:
            time.sleep(0.5)
        return found

    def _running(self) -> list[str]:
        # The terminal itself: bash, and runuser before it when it runs as another user.
        terminal = {self.bash.pid} | {child.pid for child in psutil.Process(self.bash.pid).children()
                                      if child.name() == "bash"}
        found = []
        for process in psutil.process_iter(["pid", "cmdline"]):
            command = " ".join(process.info["cmdline"] or [])
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if process.pid not in terminal | self.earlier and (os.getpgid(process.pid) == self.bash.pid
                                                     or " -D /tmp/yelb-postgres." in command):
                    found.append(command)
        return found

    def close(self) -> None:
        # Without job control a background job stays in bash's process group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.bash.pid, signal.SIGTERM)
        try:
            self.bash.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.bash.pid, signal.SIGKILL)
            self.bash.wait(10)


class Server:
    """A block run in a terminal of its own: a foreground server, stopped with Ctrl-C."""

    def __init__(self, step: Step, clone: Path, folder: Path, env: dict[str, str], user: str | None = None):
        self.step = step
        self.log_path = folder / f"server-{step.chapter.stem}-{step.line}.log"
        self.process = subprocess.Popen(as_user(user, ["bash", "-c", step.text]), stdout=log_file(self.log_path, user),
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=clone, env=env, start_new_session=True)

    def wait_until_listening(self, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not self._listening():
            assert self.process.poll() is None, f"{self.step.where}: exited with {self.process.returncode}\n{self.log()}"
            assert time.monotonic() < deadline, f"{self.step.where}: nothing listening after {timeout} s\n{self.log()}"
            time.sleep(0.5)

    def _listening(self) -> bool:
        for connection in psutil.net_connections("tcp"):
            if connection.status == psutil.CONN_LISTEN and connection.pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if os.getsid(connection.pid) == self.process.pid:
                        return True
        return False

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

