"""OpenTelemetry is off unless OTEL_TRACES_EXPORTER=otlp, and then costs nothing.

Each case runs in a fresh interpreter: what is imported and which threads run
are properties of the whole process. The spans themselves are asserted against
a real OTLP receiver in tests/observability/test_tracing.py.
"""

import json
import os
import subprocess
import sys


# Builds the app from the environment, serves one vote, and reports what OpenTelemetry left behind.
PROBE = """
import json, logging, sys, threading
from yelb_appserver import create_app
from yelb_appserver.request_log import JsonFormatter
app = create_app()
assert app.test_client().post("/api/votes/ihop").status_code == 200
sdk_handlers = logging.getLogger("opentelemetry").handlers
print(json.dumps({
    "modules": sorted(name for name in sys.modules if name.startswith("opentelemetry")),
    "threads": sorted(thread.name for thread in threading.enumerate()),
    "sdk_logs_json": bool(sdk_handlers) and all(isinstance(h.formatter, JsonFormatter) for h in sdk_handlers),
}))
"""


def probe(tmp_path, **variables: str) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "YELB_SQLITE_PATH": str(tmp_path / "y.db"),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), **variables}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    # The app logs to stdout too (requests, and with tracing on the exporter's failures).
    return next(json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"modules"'))


def test_without_otel_variables_nothing_of_opentelemetry_is_loaded_or_running(tmp_path):
    left = probe(tmp_path)
    assert left["modules"] == []
    assert not any("otel" in name.lower() or "span" in name.lower() for name in left["threads"])


def test_with_the_otlp_exporter_the_batch_exporter_runs(tmp_path):
    # Nothing listens there: exporting fails quietly in the background, the vote is unaffected.
    left = probe(tmp_path, OTEL_TRACES_EXPORTER="otlp", OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
    assert "opentelemetry.instrumentation.flask" in left["modules"]
    assert "opentelemetry.instrumentation.sqlite3" in left["modules"]
    assert any("otel" in name.lower() for name in left["threads"]), left["threads"]
    assert left["sdk_logs_json"]  # export failures are logged as the app's JSON lines
