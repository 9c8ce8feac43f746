"""The OpenAPI document is valid and matches the app's routes exactly."""

import re

from openapi_spec_validator import validate

from yelb_appserver import create_app
from yelb_appserver.config import Config

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def app_operations() -> set[tuple[str, str]]:
    app = create_app(Config.from_env({"YELB_SQLITE_PATH": ":memory:", "YELB_UI_DIR": ""}))
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        operations |= {(path, method.lower()) for method in rule.methods - IGNORED_METHODS}
    return operations


def test_document_is_valid_openapi_3(api):
    document = api.get("/api/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_document_covers_every_route_and_nothing_else(api):
    document = api.get("/api/openapi.json").json()
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == app_operations()
