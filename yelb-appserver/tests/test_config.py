"""Configuration: every variable is declared in SETTINGS, has a working default, and a bad
value is refused with one line that starts with the variable's name."""

import pytest

from yelb_appserver.config import SETTINGS, Config, ConfigError
from yelb_appserver.options import DEFAULT_OPTIONS

# One bad value for each setting that can have one.
BAD_VALUES = {
    "YELB_DB_PORT": ["five-four-three-two", "0", "65536"],
    "REDIS_SERVER_PORT": ["70000", "-1"],
    "YELB_APPSERVER_PORT": ["-1", "http"],
    "YELB_OPTIONS": ["Kubernetes,nomad", "a b", "ihop,ihop", "x" * 31, ",", "-dash"],
    "YELB_DEPENDENCY_TIMEOUT": ["soon", "-1", "3601"],
    "YELB_REDIS_TIMEOUT": ["0", "61", "fast"],
    "YELB_REDIS_CIRCUIT_OPEN": ["forever", "0"],
    "YELB_FAULT_INJECTION": ["maybe"],
    "YELB_FAULTS": ['{"latency_ms": 5}'],  # without YELB_FAULT_INJECTION=true
    "YELB_FAULT_TOKEN": ["short", "sixteen chars with spaces"],
    "YELB_VOTE_BY_GET": ["sometimes"],
    "YELB_ONE_VOTE_PER_BROWSER": ["2"],
    "YELB_APPSERVER_ADDRESS": ["localhost", "256.0.0.1"],
    "YELB_LOG_LEVEL": ["loud"],
    "YELB_APPSERVER_WORKERS": ["0", "many"],
    "YELB_APPSERVER_THREADS": ["0", ""],
    "YELB_GRACEFUL_TIMEOUT": ["later"],
    "YELB_SHUTDOWN_DELAY": ["-5"],
    "YELB_DB_MAX_CONNECTIONS": ["0", "eight"],
    "YELB_QUESTION": ["Which of these " + "really " * 20 + "matters?", "   "],
    "YELB_PUBLIC_URL": ["vote.example.org", "javascript:alert(1)",
                        "https://vote.example.org/" + "x" * 200, "https://vote.example.org:99999/"],
    "OTEL_TRACES_EXPORTER": ["jaeger", "otlp,console"],
    "OTEL_EXPORTER_OTLP_ENDPOINT": ["collector:4318"],
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ["http://collector:port/v1/traces"],
    "OTEL_EXPORTER_OTLP_PROTOCOL": ["grpc"],
    "YELB_VERSION": ["1.0 beta", "v" * 65],
    "YELB_COLOR": ["not-a-colour", "rgba(0, 0, 0, 0.5)", "currentcolor", "red; background: url(x)"],
    "YELB_ORCHESTRATOR": ["docker compose", "k" * 65],
    "YELB_INSTANCE_NAME": ["pod\nname", "p" * 300],
    "YELB_NODE_NAME": ["node\tname"],
    "YELB_GROUP_NAME": ["x" * 300],
    "YELB_ZONE": ["zone\x00"],
    "YELB_REGION": ["r" * 300],
    "NOMAD_ALLOC_NAME": ["yelb.appserver[0]\nappserver[1]"],
    "NOMAD_JOB_NAME": ["j" * 300],
    "NOMAD_DC": ["dc\x1b[31m"],
    "NOMAD_REGION": ["r" * 300],
    "YELB_READ_CACHE_SECONDS": ["-0.1", "often", "3601"],
}
# Settings any text is good for: names, paths, secrets. YELB_SQLITE_PATH is checked when
# the store opens (test_an_unusable_sqlite_path_names_the_variable).
FREE_TEXT = {"YELB_DB_SERVER_ENDPOINT", "YELB_DB_NAME", "YELB_DB_USER", "YELB_DB_PASSWORD",
             "REDIS_SERVER_ENDPOINT", "YELB_SQLITE_PATH", "YELB_UI_DIR", "YELB_GIT_REVISION",
             "PROMETHEUS_MULTIPROC_DIR", "OTEL_SERVICE_NAME",
             "KUBERNETES_SERVICE_HOST"}


def assert_refused(environ: dict, variable: str, mentions: str = "") -> None:
    with pytest.raises(ConfigError) as refused:
        Config.from_env(environ)
    message = str(refused.value)
    assert message.startswith(f"{variable}: "), message
    assert "\n" not in message
    assert mentions in message


def test_every_setting_has_a_bad_value_test_or_takes_any_text():
    assert {setting.name for setting in SETTINGS} == set(BAD_VALUES) | FREE_TEXT


@pytest.mark.parametrize("variable, value", [(variable, value) for variable, values in BAD_VALUES.items()
                                             for value in values])
def test_a_bad_value_is_refused_with_one_line_naming_the_variable(variable, value):
    assert_refused({variable: value}, variable)


def test_every_setting_parses_its_own_default():
    config = Config.from_env({})
    assert len({setting.name for setting in SETTINGS}) == len(SETTINGS)
    for setting in SETTINGS:
        assert hasattr(config, setting.key), setting.name


def test_defaults_are_the_originals():
    config = Config.from_env({})
    assert (config.port, config.db_port, config.db_name, config.db_user, config.db_password,
            config.redis_port) == (4567, 5432, "yelbdatabase", "postgres", "postgres_password", 6379)
    assert config.options == DEFAULT_OPTIONS
    assert [option.name for option in config.options] == ["outback", "bucadibeppo", "ihop", "chipotle"]
    assert not config.uses_postgres and not config.uses_redis


def test_option_syntax():
    options = Config.from_env({"YELB_OPTIONS": " k8s=Kubernetes|Orchestrate all the things , nomad "}).options
    assert [(o.name, o.label, o.tagline) for o in options] == [
        ("k8s", "Kubernetes", "Orchestrate all the things"), ("nomad", "nomad", "")]
    assert_refused({"YELB_OPTIONS": "x" * 31}, "YELB_OPTIONS", "30 characters")
    assert_refused({"YELB_OPTIONS": "ihop,ihop"}, "YELB_OPTIONS", "listed twice")


@pytest.mark.parametrize("faults, problem", [
    ("{latency_ms: 5", "not valid JSON"),
    ('{"latency": 5}', "unknown fault 'latency'"),
    ('{"latency_ms": -1}', "latency_ms must be"),
    ("[1, 2]", "must be a JSON object"),
])
def test_bad_faults_are_refused_with_one_line(faults, problem):
    assert_refused({"YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": "test-fault-token-0123456789",
                    "YELB_FAULTS": faults}, "YELB_FAULTS", problem)


def test_faults_at_start_are_taken_with_fault_injection():
    config = Config.from_env({"YELB_FAULT_INJECTION": "true", "YELB_FAULT_TOKEN": "test-fault-token-0123456789",
                              "YELB_FAULTS": '{"latency_ms": 5}'})
    assert config.fault_injection and config.initial_faults == {"latency_ms": 5}


def test_fault_injection_needs_a_token():
    assert_refused({"YELB_FAULT_INJECTION": "true"}, "YELB_FAULT_TOKEN", "YELB_FAULT_INJECTION=true")


def test_the_connection_budget_must_give_each_worker_one_connection():
    budget = {"YELB_DB_SERVER_ENDPOINT": "db", "YELB_APPSERVER_WORKERS": "4"}
    assert_refused({**budget, "YELB_DB_MAX_CONNECTIONS": "3"}, "YELB_DB_MAX_CONNECTIONS", "4 workers")
    assert Config.from_env({**budget, "YELB_DB_MAX_CONNECTIONS": "4"}).db_max_connections == 4


def test_an_unusable_sqlite_path_names_the_variable(make_app, tmp_path):
    with pytest.raises(ConfigError, match="^YELB_SQLITE_PATH: "):
        make_app(YELB_SQLITE_PATH=str(tmp_path))  # a folder, not a file
