"""Python side of tests/nomad/standin (Go): builds it once per session and runs it.

The Go program evaluates the job with hashicorp/hcl/v2 (what `nomad job run`
parses with) and renders templates with Go's text/template and go-envparse
(what a Nomad client renders and reads env templates with). It needs
golang-go and Debian's golang-github-hashicorp-hcl-v2-dev and
golang-github-hashicorp-go-envparse-dev (scripts/bootstrap test).
"""

import functools
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

SOURCE_DIR = Path(__file__).resolve().parent / "standin"
# Debian installs Go libraries as GOPATH sources; no module download is needed.
GO_ENV = {"GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOFLAGS": ""}


class StandinError(RuntimeError):
    """The stand-in refused its input; the message is its one-line diagnostic."""


@functools.lru_cache(maxsize=None)
def binary():
    """Path of the built stand-in, rebuilt when its source changes."""
    source = (SOURCE_DIR / "main.go").read_bytes()
    cache = Path(tempfile.gettempdir()) / f"yelb-nomad-standin-{os.getuid()}"
    target = cache / hashlib.sha256(source).hexdigest()[:16]
    if not target.exists():
        cache.mkdir(exist_ok=True)
        env = {**os.environ, **GO_ENV, "GOCACHE": str(cache / "gocache")}
        building = target.with_suffix(f".{os.getpid()}")
        subprocess.run(["go", "build", "-o", str(building), "."], cwd=SOURCE_DIR, env=env,
                       check=True, timeout=600)
        building.replace(target)
    return target


def _run(args, stdin=None):
    result = subprocess.run([str(binary()), *args], input=stdin, capture_output=True,
                            text=True, timeout=60)
    if result.returncode != 0:
        raise StandinError(result.stderr.strip())
    return result.stdout


def evaluate_job(path, overrides=None):
    """{"variables": ..., "job": {name: body}} as `nomad job run -var ...` sees the file."""
    args = ["job"]
    for name, value in (overrides or {}).items():
        args += ["-var", f"{name}={value}"]
    return json.loads(_run([*args, str(path)]))


def render_template(data, catalogue=None, nomad_variables=None, env=None, dotenv=False):
    """The template text rendered as a client would, or its env file parsed (dotenv)."""
    with tempfile.TemporaryDirectory() as scratch:
        catalogue_file = Path(scratch) / "catalogue.json"
        variables_file = Path(scratch) / "variables.json"
        catalogue_file.write_text(json.dumps(catalogue or {}))
        variables_file.write_text(json.dumps(nomad_variables or {}))
        args = ["template", "-catalogue", str(catalogue_file), "-variables", str(variables_file)]
        for name, value in (env or {}).items():
            args += ["-env", f"{name}={value}"]
        if dotenv:
            args.append("-dotenv")
        output = _run(args, stdin=data)
    return json.loads(output) if dotenv else output
