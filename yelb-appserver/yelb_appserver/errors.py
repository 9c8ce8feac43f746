"""Every error is JSON: {"error": what went wrong, "status": code}."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, InternalServerError

from .dependencies import DependencyError

log = logging.getLogger("yelb.errors")


def error_response(status: int, message: str, headers=None, **extra):
    response = jsonify(error=message, status=status, **extra)
    response.status_code = status
    for name, value in (headers or []):
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def install(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Keeps headers such as Allow on a 405.
        return error_response(exc.code, exc.description, exc.get_headers())

    @app.errorhandler(DependencyError)
    def dependency_down(exc: DependencyError):
        # The detail, which may name the server's address, was logged where it happened.
        return error_response(503, exc.public, [("Retry-After", "2")], dependency=exc.dependency)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, InternalServerError.description)
