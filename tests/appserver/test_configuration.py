"""Bad configuration stops the yelb-appserver command before gunicorn starts: exit 2, one line
naming the variable. Every rule itself is in yelb-appserver/tests/test_config.py."""

import os
import subprocess

import pytest

from stack.services import appserver_command


def command_env(**variables: str) -> dict[str, str]:
    """Only these variables, and PYTHONPATH when the run sets one (to test a checkout's code)."""
    inherited = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    return {"PATH": "/usr/bin:/bin", **inherited, **variables}


@pytest.mark.parametrize("variable, value", [
    ("YELB_DB_PORT", "five-four-three-two"),
    ("REDIS_SERVER_PORT", "70000"),
    ("YELB_APPSERVER_PORT", "-1"),
    ("YELB_OPTIONS", "Kubernetes,nomad"),
    ("YELB_OPTIONS", "a b"),
    ("YELB_OPTIONS", "ihop,ihop"),
    ("YELB_DEPENDENCY_TIMEOUT", "soon"),
    ("YELB_APPSERVER_WORKERS", "0"),
    ("YELB_FAULT_INJECTION", "maybe"),
    ("YELB_LOG_LEVEL", "loud"),
    ("YELB_FAULTS", '{"latency_ms": 5}'),
    ("YELB_REDIS_TIMEOUT", "0"),
    ("YELB_REDIS_CIRCUIT_OPEN", "forever"),
    ("YELB_FAULT_TOKEN", "short"),
    ("YELB_APPSERVER_ADDRESS", "localhost"),
])
def test_bad_value_stops_the_command_with_one_line_naming_the_variable(tmp_path, variable, value):
    result = subprocess.run([appserver_command()], env=command_env(**{variable: value}),
                            cwd=tmp_path, capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"yelb-appserver: configuration error: {variable}: ")


@pytest.mark.parametrize("faults, problem", [
    ("{latency_ms: 5", "not valid JSON"),
    ('{"latency": 5}', "unknown fault 'latency'"),
    ('{"latency_ms": -1}', "latency_ms must be"),
    ("[1, 2]", "must be a JSON object"),
])
def test_bad_faults_stop_the_command_with_one_line(tmp_path, faults, problem):
    """Checked before gunicorn starts, not once per worker with a traceback."""
    env = command_env(YELB_FAULT_INJECTION="true", YELB_FAULT_TOKEN="test-fault-token-0123456789",
                      YELB_FAULTS=faults)
    result = subprocess.run([appserver_command()], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=20)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("yelb-appserver: configuration error: YELB_FAULTS: ")
    assert problem in lines[0]


def test_fault_injection_without_a_token_stops_the_command(tmp_path):
    result = subprocess.run([appserver_command()], env=command_env(YELB_FAULT_INJECTION="true"),
                            cwd=tmp_path, capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "YELB_FAULT_TOKEN" in result.stderr, result.stderr
