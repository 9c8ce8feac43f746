"""The Nomad job, read as `nomad job run` would read it, checked against the code.

No Nomad binary can run here, so the job is evaluated with the real HCL engine
(tests/nomad/standin) and its templates rendered with Go's text/template; what
it must agree with comes from the real code: the appserver's SETTINGS and
url_map, the UI front's render-config.sh and nginx template, the yelb-db
Dockerfile.
"""

import json
import re

import pytest
from werkzeug.exceptions import HTTPException

from tests.nomad.nomad_job import JOB_FILE, REPO_ROOT, InvalidVariable, labelled, load_job, parse_hcl
from yelb_appserver import create_app
from yelb_appserver.config import SETTINGS, Config

NOMAD_DIR = REPO_ROOT / "deployments" / "nomad"
UI_RENDER_SCRIPT = REPO_ROOT / "yelb-ui" / "nginx" / "render-config.sh"
UI_NGINX_TEMPLATE = REPO_ROOT / "yelb-ui" / "nginx" / "nginx.conf.template"
DB_DOCKERFILE = REPO_ROOT / "yelb-db" / "Dockerfile"

# Catalogue name -> (group, container port): the names other tasks look up.
TIERS = {
    "yelb-db": ("db", 5432),
    "redis-server": ("cache", 6379),
    "yelb-appserver": ("appserver", 4567),
    "yelb-ui": ("ui", 8080),
}
SETTING_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
# Answers for every catalogue look-up and Nomad Variable, so that every
# branch of the templates that sets a variable is taken.
CATALOGUE = {name: [{"Address": "10.1.0.7", "Port": 20000 + port}] for name, (_, port) in TIERS.items()}
NOMAD_VARIABLES = {"nomad/jobs/yelb": {"db_password": "from-the-nomad-variable"}}


def env_names(task):
    return set(task.environment(CATALOGUE, NOMAD_VARIABLES))


@pytest.fixture(scope="module")
def job():
    return load_job()


@pytest.fixture(scope="module")
def appserver_task(job):
    return job.groups["appserver"].tasks["yelb-appserver"]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The real appserver (embedded SQLite) whose routes the checks must hit."""
    sqlite_path = tmp_path_factory.mktemp("nomad-app") / "yelb.sqlite3"
    return create_app(Config.from_env({"YELB_SQLITE_PATH": str(sqlite_path)}))


def seconds(duration):
    """A Nomad duration such as "30s", "5m" or "1m30s" in seconds."""
    parts = re.findall(r"(\d+)(ms|s|m|h)", duration)
    assert parts and "".join(a + b for a, b in parts) == duration, duration
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(int(amount) * scale[unit] for amount, unit in parts)


def is_under(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def tmpfs_targets(task):
    return [mount["target"] for mount in task.config.get("mount", []) if mount["type"] == "tmpfs"]


def ui_variables():
    """Variables the UI front's entrypoint reads (${NAME:-default})."""
    return set(re.findall(r"\$\{(YELB_[A-Z_]+):-", UI_RENDER_SCRIPT.read_text()))


def ui_default(name):
    match = re.search(r"\$\{%s:-([^}]+)\}" % name, UI_RENDER_SCRIPT.read_text())
    return match.group(1)


def db_image_variables():
    """ENV names the yelb-db image declares (the PostgreSQL entrypoint's inputs)."""
    text = DB_DOCKERFILE.read_text().replace("\\\n", " ")
    declared = set()
    for line in re.findall(r"^ENV\s+(.*)$", text, re.MULTILINE):
        declared |= set(re.findall(r"([A-Z_]+)=", line))
    return declared


# --- structure ---------------------------------------------------------------


def test_one_job_with_a_group_and_a_docker_task_per_tier(job):
    assert job.name == "yelb"
    assert job.raw["type"] == "service"
    assert {group: list(job.groups[group].tasks) for group, _ in TIERS.values()} == {
        group: [name] for name, (group, _) in TIERS.items()
    }
    assert set(job.groups) == {group for group, _ in TIERS.values()}
    for group in job.groups.values():
        for task in group.tasks.values():
            assert task.driver == "docker", task.name


def test_every_task_runs_as_a_non_root_user_with_a_hardened_container(job):
    for group in job.groups.values():
        for task in group.tasks.values():
            user = task.user or ""
            uid = user.split(":")[0]
            assert uid and uid not in ("0", "root"), f"{task.name} runs as {user!r}"
            assert task.config.get("privileged") in (None, False), task.name
            assert task.config["cap_drop"] == ["ALL"], task.name
            assert "no-new-privileges" in task.config["security_opt"], task.name
            assert task.config["readonly_rootfs"] is True, task.name


def test_every_task_reserves_cpu_and_memory(job):
    for group in job.groups.values():
        for task in group.tasks.values():
            assert task.resources.get("cpu", 0) > 0, task.name
            assert task.resources.get("memory", 0) > 0, task.name


def test_rolling_updates_are_gated_by_health_checks_and_revert_on_failure(job):
    update = job.block("update")
    assert update["max_parallel"] >= 1
    assert update["health_check"] == "checks"
    assert update["auto_revert"] is True
    assert seconds(update["min_healthy_time"]) > 0
    assert seconds(update["healthy_deadline"]) < seconds(update["progress_deadline"])


# --- variables: registry, tag, counts ----------------------------------------


def images(job):
    return {service: job.find_service(service)[0].tasks[service].image for service in TIERS}


def test_default_images_are_the_release_on_ghcr(job):
    assert images(job) == {
        "yelb-db": "ghcr.io/yelb-project/yelb-db:1.0.0",
        "redis-server": "ghcr.io/yelb-project/redis:7-alpine",
        "yelb-appserver": "ghcr.io/yelb-project/yelb-appserver:1.0.0",
        "yelb-ui": "ghcr.io/yelb-project/yelb-ui:1.0.0",
    }


def test_the_default_tag_is_the_appservers_version(job):
    pyproject = (REPO_ROOT / "yelb-appserver" / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE).group(1) == job.variables["tag"]


def test_every_image_follows_the_registry_and_tag_knobs():
    job = load_job(overrides={"registry": "harbor.example.com:8443/yelb", "tag": "2.0.1"})
    found = images(job)
    # Redis is the stock image mirrored under the same registry, with its own tag.
    assert found.pop("redis-server") == "harbor.example.com:8443/yelb/redis:7-alpine"
    assert found == {name: f"harbor.example.com:8443/yelb/{name}:2.0.1" for name in found}


def test_every_variable_declares_its_type():
    # Without a type Nomad takes any value; with one, a wrong value is refused at submission.
    declared = labelled(parse_hcl(JOB_FILE)["variable"])
    assert [name for name, body in declared.items() if "type" not in body] == []


def test_counts_follow_their_variables():
    job = load_job(overrides={"appserver_count": 3, "ui_count": 2, "appserver_max_count": 6})
    assert job.groups["appserver"].count == 3
    assert job.groups["ui"].count == 2
    assert job.groups["db"].count == job.groups["cache"].count == 1
    assert job.groups["appserver"].block("scaling")["max"] == 6


def test_the_appserver_scales_within_its_scaling_block(job):
    scaling = job.groups["appserver"].block("scaling")
    assert scaling["enabled"] is True
    assert 1 <= scaling["min"] <= job.groups["appserver"].count <= scaling["max"]
    (check,) = scaling["policy"][0]["check"]
    assert check["cpu"]["source"] == "nomad-apm"


@pytest.mark.parametrize("overrides, complaint", [
    ({"registry": "harbor.example.com/yelb/"}, "trailing slash"),
    ({"registry": "https://harbor.example.com/yelb"}, "scheme"),
    ({"registry": "oci://harbor.example.com"}, "scheme"),
    ({"registry": ""}, "host"),
    ({"tag": "1.0.0:latest"}, "Docker tag"),
    ({"appserver_count": 0}, "at least 1"),
    ({"appserver_count": "three"}, "number is required"),
    ({"ui_port": "http"}, "number is required"),
    ({"datacenters": '"dc1"'}, "list of string"),
    ({"ui_count": 0}, "at least 1"),
    ({"service_provider": "kubernetes"}, "nomad or consul"),
    ({"regsitry": "harbor.example.com/yelb"}, "no variable"),
    ({"options": "Kubernetes,nomad"}, "comma list"),
    ({"question": "Which of these " + "really " * 20 + "matters?"}, "at most 120 characters"),
    ({"question": "   "}, "must not be empty"),
    ({"public_url": "vote.example.org"}, "http:// or https://"),
    ({"public_url": "javascript:alert(1)"}, "http:// or https://"),
    ({"public_url": "https://vote.example.org/room 4"}, "http:// or https://"),
])
def test_bad_variables_are_refused_naming_the_variable(overrides, complaint):
    ((name, value),) = overrides.items()
    with pytest.raises(InvalidVariable, match=name) as refused:
        load_job(overrides=overrides)
    assert complaint in str(refused.value)


# --- ports and services ------------------------------------------------------


def test_each_tier_registers_its_contract_name_and_container_port(job):
    for name, (group_name, port) in TIERS.items():
        group, service = job.find_service(name)
        assert group.name == group_name
        assert group.container_port(service.port_label) == port
        (task,) = group.tasks.values()
        assert service.port_label in task.config["ports"], name


def test_only_the_ui_binds_a_fixed_host_port():
    job = load_job(overrides={"ui_port": 8088})
    for group in job.groups.values():
        for label, port in group.ports.items():
            expected = 8088 if group.name == "ui" else None
            assert port.get("static") == expected, f"{group.name}.{label}"


@pytest.mark.parametrize("provider, function", [("nomad", "nomadService"), ("consul", "service")])
def test_the_catalogue_switch_moves_registrations_and_lookups_together(provider, function):
    job = load_job(overrides={"service_provider": provider})
    registered = {service.name for group in job.groups.values() for service in group.services}
    assert registered == set(TIERS)
    lookups = []
    for group in job.groups.values():
        for service in group.services:
            assert service.provider == provider, service.name
        for task in group.tasks.values():
            for template in task.templates:
                lookups += template.catalogue_lookups
    assert {used for used, _ in lookups} == {function}
    assert {looked_up for _, looked_up in lookups} == {"yelb-db", "redis-server", "yelb-appserver"}


def test_env_templates_use_a_change_mode_nomad_accepts_for_them(job):
    for group in job.groups.values():
        for task in group.tasks.values():
            for template in task.templates:
                if template.env:
                    # Nomad's Template.Validate refuses change_mode "signal" on an env
                    # template ("cannot use signals with env var templates").
                    assert template.change_mode in ("restart", "noop", "script"), template.destination
                if "PASSWORD" in template.data:
                    assert template.destination.startswith("secrets/"), task.name


# --- health checks -----------------------------------------------------------


def test_appserver_checks_hit_real_routes(job, app):
    _, service = job.find_service("yelb-appserver")
    adapter = app.url_map.bind("localhost")
    client = app.test_client()
    for check in service.checks:
        assert check.type == "http"
        try:
            adapter.match(check.path, method="GET")
        except HTTPException as exc:
            pytest.fail(f"{check.path} is not a GET route of the appserver: {exc}")
        assert client.get(check.path).status_code == 200, check.path


def test_readiness_gates_updates_and_liveness_restarts(job):
    _, service = job.find_service("yelb-appserver")
    checks = {check.path: check for check in service.checks}
    assert set(checks) == {"/readyz", "/healthz"}
    # An unready replica (PostgreSQL down) must not be killed, only kept out of deploys.
    assert not checks["/readyz"].restarts_task
    assert checks["/healthz"].restarts_task


def test_ui_check_hits_the_fronts_own_health_location(job):
    _, service = job.find_service("yelb-ui")
    (check,) = service.checks
    assert check.type == "http"
    assert f"location = {check.path} " in UI_NGINX_TEMPLATE.read_text()


def test_backends_have_tcp_checks(job):
    for name in ("yelb-db", "redis-server"):
        _, service = job.find_service(name)
        assert [check.type for check in service.checks] == ["tcp"], name


# --- environment -------------------------------------------------------------


def test_appserver_gets_what_it_needs_and_nothing_it_does_not_read(appserver_task):
    needed = {
        "YELB_DB_SERVER_ENDPOINT", "YELB_DB_PORT", "YELB_DB_PASSWORD",
        "REDIS_SERVER_ENDPOINT", "REDIS_SERVER_PORT",
        "YELB_SHUTDOWN_DELAY", "PROMETHEUS_MULTIPROC_DIR",
    }
    assert needed <= env_names(appserver_task)
    assert env_names(appserver_task) <= set(SETTING_DEFAULTS)


def test_appserver_static_env_passes_the_appservers_own_validation(appserver_task):
    config = Config.from_env(appserver_task.env)
    assert config.shutdown_delay > 0


def test_the_room_is_three_variables_whose_defaults_are_the_appservers(appserver_task):
    assert Config.from_env(appserver_task.env).question == SETTING_DEFAULTS["YELB_QUESTION"]
    room = {"options": "tabs=Tabs|The one true indent,spaces=Spaces", "question": "Tabs or spaces?",
            "public_url": "https://vote.example.org/room-4"}
    job = load_job(overrides=room)
    config = Config.from_env(job.groups["appserver"].tasks["yelb-appserver"].env)
    assert ([option.name for option in config.options], config.question, config.public_url) == (
        ["tabs", "spaces"], room["question"], room["public_url"])


def test_upstreams_come_from_the_catalogue_never_from_sqlite(appserver_task):
    upstreams = next(t for t in appserver_task.templates if "YELB_DB_SERVER_ENDPOINT" in t.data)
    assert set(upstreams.catalogue_lookups) >= {
        ("nomadService", "yelb-db"), ("nomadService", "redis-server")
    }
    # Every branch (found or not yet registered) sets a host: an empty one
    # would silently switch the replica to its embedded SQLite store.
    for name in ("YELB_DB_SERVER_ENDPOINT", "REDIS_SERVER_ENDPOINT"):
        values = re.findall(rf"^\s*{name}=(.*)$", upstreams.data, re.MULTILINE)
        assert len(values) == 2 and all(value.strip() for value in values), name


def test_the_database_password_comes_from_the_jobs_nomad_variable(job):
    defaults = set()
    for name in ("yelb-db", "yelb-appserver"):
        group, _ = job.find_service(name)
        (task,) = group.tasks.values()
        (template,) = [t for t in task.templates if "PASSWORD=" in t.data]
        assert template.nomad_variable_paths == {f"nomad/jobs/{job.name}"}
        defaults |= set(re.findall(r"{{-? else }}(\w+){{ end }}", template.data))
    # One documented fallback, the same the appserver and the image use.
    image_default = re.search(r"POSTGRES_PASSWORD=(\S+)", DB_DOCKERFILE.read_text()).group(1)
    assert defaults == {SETTING_DEFAULTS["YELB_DB_PASSWORD"]} == {image_default}


def test_shutdown_fits_inside_the_kill_timeout(job, appserver_task):
    shutdown = float(appserver_task.env["YELB_SHUTDOWN_DELAY"])
    graceful = float(appserver_task.env.get(
        "YELB_GRACEFUL_TIMEOUT", SETTING_DEFAULTS["YELB_GRACEFUL_TIMEOUT"]))
    assert shutdown + graceful < seconds(appserver_task.kill_timeout)
    assert seconds(appserver_task.raw["shutdown_delay"]) > 0


def test_writable_paths_are_mounts_on_the_read_only_images(job, appserver_task):
    assert any(is_under(appserver_task.env["PROMETHEUS_MULTIPROC_DIR"], target)
               for target in tmpfs_targets(appserver_task))

    ui = job.groups["ui"].tasks["yelb-ui"]
    runtime_dir = ui.env.get("YELB_UI_RUNTIME_DIR", ui_default("YELB_UI_RUNTIME_DIR"))
    assert any(is_under(runtime_dir, target) for target in tmpfs_targets(ui))

    db = job.groups["db"].tasks["yelb-db"]
    (mount,) = db.volume_mounts
    assert is_under(db.env["PGDATA"], mount["destination"]) and db.env["PGDATA"] != mount["destination"]
    assert "/var/run/postgresql" in tmpfs_targets(db)


def test_ui_gets_the_appserver_list_in_the_variable_it_reads(job):
    ui = job.groups["ui"].tasks["yelb-ui"]
    assert env_names(ui) == {"YELB_APPSERVER_ENDPOINT"}
    assert env_names(ui) <= ui_variables()
    (template,) = ui.templates
    assert template.catalogue_lookups == [("nomadService", "yelb-appserver")]
    # Until an appserver registers, the UI's own default keeps nginx starting.
    assert ui_default("YELB_APPSERVER_ENDPOINT") in template.data


def test_database_env_is_what_the_yelb_db_image_reads(job):
    db = job.groups["db"].tasks["yelb-db"]
    assert env_names(db) == {"POSTGRES_PASSWORD", "PGDATA"}
    assert env_names(db) <= db_image_variables()


# --- data volume -------------------------------------------------------------


def test_database_data_lives_on_the_declared_host_volume():
    job = load_job(overrides={"db_volume": "pg-fast-ssd"})
    group = job.groups["db"]
    ((label, volume),) = group.volumes.items()
    assert volume["type"] == "host" and volume["source"] == "pg-fast-ssd"
    assert volume["read_only"] is False
    (mount,) = group.tasks["yelb-db"].volume_mounts
    assert mount["volume"] == label and mount["read_only"] is False


def test_dev_agent_config_provides_the_default_host_volume(job):
    agent = parse_hcl(NOMAD_DIR / "agent-dev.hcl")
    (client,) = agent["client"]
    volumes = labelled(client["host_volume"])
    assert volumes[job.variables["db_volume"]]["read_only"] is False


# --- documentation -----------------------------------------------------------


def test_readme_commands_use_only_declared_variables(job):
    readme = (NOMAD_DIR / "README.md").read_text()
    used = set(re.findall(r"-var[= ]([a-z_]+)=", readme))
    assert used and used <= set(job.variables)
    for command in (
        "nomad job run -var registry=harbor.example.com/yelb -var tag=1.0.0 yelb.nomad.hcl",
        "nomad job scale yelb appserver 3",
    ):
        assert command in readme


def test_readme_variables_table_lists_every_variable_with_its_default(job):
    readme = (NOMAD_DIR / "README.md").read_text()
    section = readme.split("\n## Variables\n", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `([a-z_]+)`\s*\| (`[^`]+`|\(empty\))", section, re.MULTILINE))
    assert set(rows) == set(job.variables)
    for name, value in job.variables.items():
        documented = rows[name]
        expected = json.dumps(value) if isinstance(value, list) else str(value)
        assert documented == (f"`{expected}`" if expected else "(empty)"), name
