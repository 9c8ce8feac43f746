"""The appserver cannot shed slow clients as the nginx front does (a few trickling
connections hold its threads), so `make run` keeps it on loopback unless told otherwise."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket listening on `port` (ss, numeric)."""
    output = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True,
                            check=True).stdout
    return {line.split()[3].rsplit(":", 1)[0] for line in output.splitlines()}


def test_make_run_binds_loopback_unless_told_otherwise():
    def run_command(*variables: str) -> str:
        return subprocess.run(["make", "-n", "run", *variables], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout

    assert "YELB_APPSERVER_ADDRESS=127.0.0.1 .venv/bin/yelb-appserver" in run_command()
    assert "YELB_APPSERVER_ADDRESS=0.0.0.0 .venv/bin/yelb-appserver" in run_command("YELB_APPSERVER_ADDRESS=0.0.0.0")


def test_the_address_setting_is_where_gunicorn_listens(appserver_factory, app_env):
    on_loopback = appserver_factory({**app_env, "YELB_APPSERVER_ADDRESS": "127.0.0.1"})
    assert listening_addresses(on_loopback.port) == {"127.0.0.1"}
    everywhere = appserver_factory(app_env)  # the image's default: reachable by its platform
    assert listening_addresses(everywhere.port) == {"0.0.0.0"}
