"""The OpenAPI document is valid and matches the app's routes exactly."""

import re

import pytest

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def app_operations(app) -> set[tuple[str, str]]:
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        operations |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return operations


def test_document_is_valid_openapi_3(client):
    validator = pytest.importorskip("openapi_spec_validator", reason="a test tool, not an appserver dependency")
    document = client.get("/api/openapi.json").get_json()
    validator.validate(document)
    assert document["openapi"].startswith("3.")


def test_document_covers_every_route_and_nothing_else(client, app):
    document = client.get("/api/openapi.json").get_json()
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == app_operations(app)
