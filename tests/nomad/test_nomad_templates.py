"""The job's templates rendered against a made-up catalogue, then fed to the
real consumers: the appserver's own configuration parser and the UI front's
render-config.sh.

Nomad's catalogue cannot run here: tests/nomad/standin renders the templates
with Go's text/template and reads env templates back with go-envparse, as a
Nomad client does, with stand-in catalogue functions answering from CATALOGUE.
Everything downstream of the rendered text is the real code.
"""

import os
import subprocess

import pytest

from tests.nomad.nomad_job import REPO_ROOT, load_job
from yelb_appserver.config import SETTINGS, Config

UI_NGINX_DIR = REPO_ROOT / "yelb-ui" / "nginx"
PASSWORD_DEFAULT = next(s.default for s in SETTINGS if s.name == "YELB_DB_PASSWORD")
CATALOGUE = {
    "yelb-db": [{"Address": "10.1.0.7", "Port": 29123}],
    "redis-server": [{"Address": "10.1.0.8", "Port": 31555}],
    "yelb-appserver": [
        {"Address": "10.1.0.7", "Port": 24001},
        {"Address": "10.1.0.8", "Port": 24002},
        {"Address": "10.1.0.9", "Port": 24003},
    ],
}
SECRET = {"nomad/jobs/yelb": {"db_password": "s3cret-from-nomad-var"}}


def task_env(task, catalogue=None, variables=None):
    return task.environment(catalogue, variables)


@pytest.fixture(scope="module", params=["nomad", "consul"])
def job(request):
    return load_job(overrides={"service_provider": request.param})


def tier(job, group):
    (task,) = job.groups[group].tasks.values()
    return task


def test_appserver_reaches_the_registered_backends(job):
    env = task_env(tier(job, "appserver"), CATALOGUE, SECRET)
    config = Config.from_env(env)
    assert (config.db_host, config.db_port) == ("10.1.0.7", 29123)
    assert (config.redis_host, config.redis_port) == ("10.1.0.8", 31555)
    assert config.db_password == "s3cret-from-nomad-var"
    assert config.shutdown_delay == 5 and config.metrics_dir == "/tmp/metrics"


def test_unregistered_backends_never_switch_the_appserver_to_sqlite(job):
    config = Config.from_env(task_env(tier(job, "appserver")))
    assert config.uses_postgres and config.uses_redis
    assert (config.db_host, config.redis_host) == ("yelb-db", "redis-server")


@pytest.mark.parametrize("variables, expected", [
    (SECRET, "s3cret-from-nomad-var"),
    ({}, PASSWORD_DEFAULT),
])
def test_database_and_appserver_agree_on_the_password(job, variables, expected):
    database = task_env(tier(job, "db"), CATALOGUE, variables)
    appserver = task_env(tier(job, "appserver"), CATALOGUE, variables)
    assert database["POSTGRES_PASSWORD"] == appserver["YELB_DB_PASSWORD"] == expected


def render_ui_config(endpoint, tmp_path):
    """Run the UI image's real render-config.sh on the rendered variable."""
    runtime = tmp_path / "ui-runtime"
    env = {
        "PATH": os.environ["PATH"],
        "YELB_APPSERVER_ENDPOINT": endpoint,
        "YELB_UI_STATIC_DIR": str(REPO_ROOT / "yelb-ui" / "public"),
        "YELB_UI_RUNTIME_DIR": str(runtime),
        # Only consulted for names; the rendered list holds IP addresses.
        "YELB_RESOLVER": "127.0.0.1",
    }
    result = subprocess.run(
        ["sh", str(UI_NGINX_DIR / "render-config.sh")],
        env=env, capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 0, result.stderr
    return (runtime / "upstream.conf").read_text(), (runtime / "nginx.conf").read_text()


def test_ui_balances_over_every_registered_appserver(job, tmp_path):
    env = task_env(tier(job, "ui"), CATALOGUE)
    expected = ["10.1.0.7:24001", "10.1.0.8:24002", "10.1.0.9:24003"]
    assert env["YELB_APPSERVER_ENDPOINT"] == ",".join(f"http://{s}" for s in expected)
    upstream, nginx = render_ui_config(env["YELB_APPSERVER_ENDPOINT"], tmp_path)
    servers = [line.split()[1] for line in upstream.splitlines() if line.strip().startswith("server ")]
    assert servers == expected
    assert "http://yelb_appservers" in nginx


def test_ui_with_a_single_appserver_proxies_to_it(job, tmp_path):
    catalogue = {"yelb-appserver": CATALOGUE["yelb-appserver"][:1]}
    env = task_env(tier(job, "ui"), catalogue)
    assert env["YELB_APPSERVER_ENDPOINT"] == "http://10.1.0.7:24001"
    upstream, nginx = render_ui_config(env["YELB_APPSERVER_ENDPOINT"], tmp_path)
    assert upstream.strip() == "" and "http://10.1.0.7:24001" in nginx


def test_ui_starts_before_any_appserver_registers(job, tmp_path):
    env = task_env(tier(job, "ui"))
    assert env["YELB_APPSERVER_ENDPOINT"] == "http://yelb-appserver:4567"
    _, nginx = render_ui_config(env["YELB_APPSERVER_ENDPOINT"], tmp_path)
    assert "http://yelb-appserver:4567" in nginx
