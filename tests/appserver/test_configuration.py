"""Bad configuration stops the process at start, with one line naming the variable."""

import os
import subprocess

import pytest

from stack.services import appserver_command
from yelb_appserver.config import SETTINGS, Config, ConfigError
from yelb_appserver.options import DEFAULT_OPTIONS, parse_options


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


def test_defaults_are_the_originals():
    config = Config.from_env({})
    assert (config.port, config.db_port, config.db_name, config.db_user, config.db_password,
            config.redis_port) == (4567, 5432, "yelbdatabase", "postgres", "postgres_password", 6379)
    assert config.options == DEFAULT_OPTIONS
    assert not config.uses_postgres and not config.uses_redis


def test_every_setting_parses_its_own_default():
    config = Config.from_env({})
    assert len({setting.name for setting in SETTINGS}) == len(SETTINGS)
    for setting in SETTINGS:
        assert hasattr(config, setting.key), setting.name


def test_option_syntax():
    options = parse_options(" k8s=Kubernetes|Orchestrate all the things , nomad ")
    assert [(o.name, o.label, o.tagline) for o in options] == [
        ("k8s", "Kubernetes", "Orchestrate all the things"), ("nomad", "nomad", "")]
    with pytest.raises(ValueError, match="30 characters"):
        parse_options("x" * 31)


def test_config_error_names_the_variable():
    with pytest.raises(ConfigError, match="^YELB_DB_PORT: "):
        Config.from_env({"YELB_DB_PORT": "abc"})
