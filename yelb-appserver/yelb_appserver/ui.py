"""Serves the static UI (YELB_UI_DIR) so one process shows the whole app.

Behind the nginx front the UI is served by nginx instead; the page calls the
API at relative /api paths either way.
"""

from __future__ import annotations

from flask import Blueprint, current_app, send_from_directory


def create_blueprint(folder: str) -> Blueprint:
    blueprint = Blueprint("ui", __name__)

    @blueprint.get("/")
    def index():
        response = send_from_directory(folder, "index.html", max_age=0)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @blueprint.get("/<path:filename>")
    def asset(filename: str):
        return send_from_directory(folder, filename,
                                   max_age=current_app.config["UI_ASSET_MAX_AGE"])

    return blueprint
