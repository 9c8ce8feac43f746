"""Serves the OpenAPI 3 document of the whole API (openapi.json, beside this file)."""

from __future__ import annotations

import json
from importlib import resources

from flask import Blueprint, jsonify

blueprint = Blueprint("openapi", __name__)

DOCUMENT = json.loads(resources.files(__package__).joinpath("openapi.json").read_text())


@blueprint.get("/api/openapi.json")
def document():
    return jsonify(DOCUMENT)
