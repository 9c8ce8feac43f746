"""What the gunicorn master imports before forking the workers, which share those pages.

Each case runs in a fresh interpreter: what is imported is a property of the whole process.
"""

import json
import os
import subprocess
import sys

# Imports what the master imports (gunicorn's configuration preloads the app's code), then
# reports what of OpenTelemetry came with it; tracing can still import it afterwards.
PROBE = """
import importlib, json, sys
import yelb_appserver.gunicorn_conf
loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
importlib.import_module("opentelemetry.sdk.metrics")
print(json.dumps({"modules": loaded}))
"""


def test_without_tracing_the_master_loads_nothing_of_opentelemetry(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "YELB_SQLITE_PATH": str(tmp_path / "y.db"),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    result = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    assert json.loads(result.stdout.splitlines()[-1]) == {"modules": []}
