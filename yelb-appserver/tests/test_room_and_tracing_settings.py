"""A bad question, public URL or OpenTelemetry setting stops the command at start, in one line."""

import os
import subprocess
import sys

import pytest


def start_command(tmp_path, **variables: str) -> subprocess.CompletedProcess:
    """The `yelb-appserver` command with only these variables; a bad one stops it before gunicorn."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **variables}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run([sys.executable, "-c", "from yelb_appserver.cli import main; main()"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("variable, value", [
    ("YELB_QUESTION", "Which of these " + "really " * 20 + "matters?"),
    ("YELB_QUESTION", "   "),
    ("YELB_PUBLIC_URL", "vote.example.org"),
    ("YELB_PUBLIC_URL", "javascript:alert(1)"),
    ("YELB_PUBLIC_URL", "https://vote.example.org/" + "x" * 200),
    ("YELB_PUBLIC_URL", "https://vote.example.org:99999/"),
    ("OTEL_TRACES_EXPORTER", "jaeger"),
    ("OTEL_TRACES_EXPORTER", "otlp,console"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:port/v1/traces"),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
])
def test_a_bad_value_stops_the_command_with_one_line_naming_the_variable(tmp_path, variable, value):
    # Tracing on, so each OTEL_* value is one that would be used.
    result = start_command(tmp_path, **{"OTEL_TRACES_EXPORTER": "otlp", variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"yelb-appserver: configuration error: {variable}: ")
