"""The platform shown to the room: each replica's release and colour on every
answer, and /api/whereami (what the orchestrator told the replica, nothing else)."""

from __future__ import annotations

import colorsys
import json
import socket

import pytest

from yelb_appserver.config import Config, ConfigError
from yelb_appserver.replica import derived_color, package_version


def release_of(response) -> tuple[str, str]:
    return response.headers["X-Yelb-Version"], response.headers["X-Yelb-Color"]


@pytest.mark.parametrize("path", ["/api/getstats", "/api/stats", "/api/getvotes", "/api/hostname",
                                  "/api/options", "/healthz"])
def test_every_answer_names_the_release_its_colour_and_the_host(make_app, path):
    client = make_app(YELB_VERSION="2.1.0", YELB_COLOR="teal").test_client()
    response = client.get(path)
    assert release_of(response) == ("2.1.0", "#008080")
    assert response.headers["X-Yelb-Hostname"] == socket.gethostname()


def test_original_bodies_are_unchanged(make_app):
    """The release travels in headers: the original's JSON keeps its exact keys."""
    client = make_app(YELB_VERSION="2.1.0").test_client()
    assert set(client.get("/api/getstats").json) == {"hostname", "pageviews"}
    assert client.get("/api/hostname").text == socket.gethostname()


def test_defaults_are_the_package_version_and_a_colour_derived_from_it(client):
    assert release_of(client.get("/api/stats")) == (package_version(), derived_color(package_version()))


def test_derived_colour_is_the_same_for_a_release_and_differs_between_releases(make_app):
    colours = {version: {release_of(make_app(YELB_VERSION=version).test_client().get("/healthz"))[1]
                         for _ in range(2)}
               for version in ("1.0.0", "2.0.0")}
    assert all(len(found) == 1 for found in colours.values()), colours
    assert colours["1.0.0"] != colours["2.0.0"]


def hue(colour: str) -> float:
    red, green, blue = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return colorsys.rgb_to_hls(red, green, blue)[0] * 360


@pytest.mark.parametrize("old, new", [("1.0.0", "1.0.1"), ("1.0.0", "1.1.0"), ("1.4.0", "1.5.0"),
                                      ("2.3.1", "2.3.2"),
                                      ("v1", "v2"), ("1.0.9", "1.0.10")])
def test_the_next_release_is_far_away_on_the_colour_wheel(old, new):
    apart = abs(hue(derived_color(old)) - hue(derived_color(new))) % 360
    assert min(apart, 360 - apart) >= 90, (derived_color(old), derived_color(new))


@pytest.mark.parametrize("given, expected", [
    ("#1A56DB", "#1a56db"), ("#abc", "#aabbcc"), ("rebeccapurple", "#663399"),
    ("rgb(10 20 30)", "#0a141e"), ("hsl(120, 100%, 25%)", "#008000"), ("  red ", "#ff0000"),
])
def test_css_colours_are_accepted_and_normalised(given, expected):
    assert Config.from_env({"YELB_COLOR": given}).color == expected


@pytest.mark.parametrize("variable, value, says", [
    ("YELB_COLOR", "not-a-colour", "must be a CSS colour"),
    ("YELB_COLOR", "#12345", "must be a CSS colour"),
    ("YELB_COLOR", "red; background: url(x)", "must be a CSS colour"),
    ("YELB_COLOR", "currentcolor", "must be a CSS colour"),
    ("YELB_COLOR", "rgba(0, 0, 0, 0.5)", "must be opaque"),
    ("YELB_COLOR", "lab(50% 10 10)", "name, #hex, rgb(), hsl() or hwb()"),
    ("YELB_VERSION", "v" * 65, "at most 64 characters"),
    ("YELB_VERSION", "1.0 beta", "without spaces"),
    ("YELB_ORCHESTRATOR", "kube<script>", "a name such as compose"),
    ("YELB_NODE_NAME", "n" * 254, "at most 253"),
])
def test_bad_release_or_platform_settings_stop_the_start_naming_the_variable(variable, value, says):
    with pytest.raises(ConfigError) as refused:
        Config.from_env({variable: value})
    message = str(refused.value)
    assert message.startswith(f"{variable}: ") and says in message and "\n" not in message


def test_whereami_with_nothing_known_says_null_never_fails(client):
    answer = client.get("/api/whereami")
    assert answer.status_code == 200
    assert answer.json == {
        "orchestrator": None, "hostname": socket.gethostname(), "instance": socket.gethostname(),
        "node": None, "group": None, "zone": None, "region": None,
        "terms": {"instance": "instance", "group": "group", "zone": "zone"},
        "version": package_version(), "color": derived_color(package_version()),
    }


def test_whereami_on_kubernetes_reports_the_downward_api(make_app):
    client = make_app(KUBERNETES_SERVICE_HOST="10.96.0.1", YELB_INSTANCE_NAME="yelb-appserver-7d9f-x2x4q",
                      YELB_NODE_NAME="worker-2", YELB_GROUP_NAME="yelb", YELB_ZONE="",
                      YELB_VERSION="1.4.0").test_client()
    answer = client.get("/api/whereami").json
    assert answer["orchestrator"] == "kubernetes"
    assert (answer["instance"], answer["node"], answer["group"], answer["zone"]) == (
        "yelb-appserver-7d9f-x2x4q", "worker-2", "yelb", None)
    assert answer["terms"] == {"instance": "pod", "group": "namespace", "zone": "zone"}
    assert answer["version"] == "1.4.0"


def test_whereami_on_nomad_reads_its_own_variables(make_app):
    client = make_app(NOMAD_ALLOC_NAME="yelb.appserver[2]", NOMAD_JOB_NAME="yelb", NOMAD_DC="dc1",
                      NOMAD_REGION="europe", YELB_NODE_NAME="client-1").test_client()
    answer = client.get("/api/whereami").json
    assert {key: answer[key] for key in ("orchestrator", "instance", "node", "group", "zone", "region")} == {
        "orchestrator": "nomad", "instance": "yelb.appserver[2]", "node": "client-1", "group": "yelb",
        "zone": "dc1", "region": "europe"}
    assert answer["terms"]["zone"] == "datacenter"


def test_whereami_on_swarm_takes_the_stack_files_templates(make_app):
    client = make_app(YELB_ORCHESTRATOR="Swarm", YELB_INSTANCE_NAME="yelb_yelb-appserver.2.kq3",
                      YELB_NODE_NAME="manager-1", YELB_GROUP_NAME="yelb_yelb-appserver").test_client()
    answer = client.get("/api/whereami").json
    assert (answer["orchestrator"], answer["instance"], answer["terms"]["instance"]) == (
        "swarm", "yelb_yelb-appserver.2.kq3", "task")


def test_whereami_reveals_nothing_else_of_the_environment(make_app):
    secret = "s3cret-password-4b1d"
    client = make_app(YELB_DB_PASSWORD=secret, YELB_FAULT_INJECTION="true", YELB_FAULT_TOKEN=secret * 2,
                      KUBERNETES_SERVICE_HOST="10.96.0.1").test_client()
    body = client.get("/api/whereami").get_data(as_text=True)
    assert secret not in body and "10.96.0.1" not in body
    assert set(json.loads(body)) == {"orchestrator", "hostname", "instance", "node", "group", "zone", "region",
                                     "terms", "version", "color"}


def test_version_route_and_build_info_report_the_same_release(make_app):
    client = make_app(YELB_VERSION="2.1.0-canary").test_client()
    assert client.get("/version").json["version"] == "2.1.0-canary"
    assert 'version="2.1.0-canary"' in client.get("/metrics").get_data(as_text=True)
