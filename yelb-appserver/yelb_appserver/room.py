"""GET /api/room: what the room sees besides the options.

The question heads the page and the presenter view (YELB_QUESTION); the public
URL is what the QR code points phones at (YELB_PUBLIC_URL), because the address
the projector's browser uses (localhost, an internal name) is often not one
the audience can reach. Both come from the appserver's configuration, like the
options, so `make run` and every deployment format set them the same way.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

blueprint = Blueprint("room", __name__, url_prefix="/api")


@blueprint.get("/room")
def room():
    config = current_app.extensions["yelb"].config
    return jsonify(question=config.question, public_url=config.public_url or None)
