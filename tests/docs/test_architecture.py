"""The architecture page's diagrams are Mermaid text; check their structure and that
they agree with the code: the four tiers, their ports, what each stores, who
talks to whom, and that every request of the vote's sequence is a real route."""

from __future__ import annotations

import re

import pytest

from tests.docs.markdown import ROOT, split
from yelb_appserver import create_app
from yelb_appserver.config import SETTINGS, Config
from yelb_appserver.stores.redis import PAGEVIEWS_KEY

PAGE = ROOT / "docs" / "architecture.md"
NODE = re.compile(r'^(\w+)(?:\["(.+)"\]|\[\("(.+)"\)\])$')
EDGE = re.compile(r'^(\w+)\s*-->\s*(?:\|"([^"]*)"\|\s*)?(\w+)$')
PARTICIPANT = re.compile(r"^participant (\w+) as (.+)$")
MESSAGE = re.compile(r"^(\w+)\s*(?:->>|-->>)\s*(\w+):\s*(.+)$")
REQUEST = re.compile(r"\b(GET|POST|PUT|DELETE) (/[\w/<>.-]+)")


def default(name: str) -> str:
    return next(setting.default for setting in SETTINGS if setting.name == name)


def ui_script_default(variable: str) -> str:
    script = (ROOT / "yelb-ui" / "nginx" / "render-config.sh").read_text()
    return re.search(rf"\${{{variable}:-([^}}]+)}}", script).group(1)


# Each tier: its port in the code, and what it stores as the code names it.
TIERS = {
    "yelb-ui": (ui_script_default("YELB_UI_PORT"), None),
    "yelb-appserver": (default("YELB_APPSERVER_PORT"), None),
    "yelb-db": (default("YELB_DB_PORT"), "restaurants"),
    "redis-server": (default("REDIS_SERVER_PORT"), PAGEVIEWS_KEY),
}


def mermaid_blocks() -> list[str]:
    return [block.text for block in split(PAGE.read_text())[0] if block.language == "mermaid"]


def parse_flowchart(text: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert re.match(r"^(flowchart|graph) (LR|RL|TB|TD|BT)$", lines[0]), lines[0]
    nodes: dict[str, str] = {}
    edges: set[tuple[str, str]] = set()
    for line in lines[1:]:
        if node := NODE.match(line):
            nodes[node.group(1)] = (node.group(2) or node.group(3)).replace("<br/>", "\n")
        elif edge := EDGE.match(line):
            edges.add((edge.group(1), edge.group(3)))
        else:
            pytest.fail(f"not a node or an edge: {line!r}")
    assert {name for edge in edges for name in edge} <= set(nodes), "an edge names an undeclared node"
    return nodes, edges


@pytest.fixture(scope="module")
def flowchart():
    blocks = mermaid_blocks()
    assert len(blocks) == 2, "a flowchart and a sequence diagram"
    return parse_flowchart(blocks[0])


def tier_of(label: str) -> str:
    return label.splitlines()[0]


def test_the_ports_of_the_code_agree():
    # The UI front's default appserver address uses the appserver's default port.
    assert ui_script_default("YELB_APPSERVER_ENDPOINT") == f"http://yelb-appserver:{default('YELB_APPSERVER_PORT')}"
    assert "CREATE TABLE IF NOT EXISTS restaurants" in (ROOT / "yelb-appserver/yelb_appserver/stores/schema.sql").read_text()


def test_flowchart_names_each_tier_with_its_port_and_store(flowchart):
    nodes, _ = flowchart
    labels = {tier_of(label): label for label in nodes.values()}
    assert set(TIERS) <= set(labels)
    for tier, (port, stored) in TIERS.items():
        assert f":{port}" in labels[tier], f"{tier} should show port {port}"
        if stored:
            assert stored in labels[tier], f"{tier} should say it stores {stored}"


def test_flowchart_has_the_request_path_and_nothing_else(flowchart):
    nodes, edges = flowchart
    named = {(tier_of(nodes[a]), tier_of(nodes[b])) for a, b in edges}
    browser = next(tier_of(label) for label in nodes.values() if tier_of(label) not in TIERS)
    assert named == {(browser, "yelb-ui"), ("yelb-ui", "yelb-appserver"),
                     ("yelb-appserver", "yelb-db"), ("yelb-appserver", "redis-server")}


def test_the_table_lists_the_same_ports():
    rows = dict(re.findall(r"^\| `([\w-]+)` \| (\d+) \|", PAGE.read_text(), re.MULTILINE))
    assert rows == {tier: port for tier, (port, _) in TIERS.items()}


def test_vote_sequence_parses_and_uses_real_routes(tmp_path):
    lines = [line.strip() for line in mermaid_blocks()[1].splitlines() if line.strip()]
    assert lines[0] == "sequenceDiagram"
    participants, requests = {}, []
    for line in lines[1:]:
        assert ";" not in line and "#" not in line, f"Mermaid reads ';' as a line end and '#' as an entity: {line}"
        if participant := PARTICIPANT.match(line):
            participants[participant.group(1)] = participant.group(2)
        elif message := MESSAGE.match(line):
            assert {message.group(1), message.group(2)} <= set(participants), line
            requests += REQUEST.findall(message.group(3))
        else:
            pytest.fail(f"not a participant or a message: {line!r}")
    for tier, (port, _) in TIERS.items():
        assert any(label.startswith(tier) and f":{port}" in label for label in participants.values()), tier

    app = create_app(Config.from_env({"YELB_SQLITE_PATH": str(tmp_path / "yelb.sqlite3")}))
    routes = app.url_map.bind("localhost")
    assert ("POST", "/api/votes/ihop") in requests
    for method, path in requests:
        routes.match(path, method=method)  # raises NotFound or MethodNotAllowed


def test_the_parser_rejects_what_mermaid_would_not_draw():
    with pytest.raises(pytest.fail.Exception):
        parse_flowchart('flowchart LR\n    ui["yelb-ui :8080"]\n    ui -> appserver\n')
    with pytest.raises(AssertionError):
        parse_flowchart('flowchart LR\n    ui["yelb-ui :8080"]\n    ui --> appserver\n')
