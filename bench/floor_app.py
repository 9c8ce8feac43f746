"""The benchmark's floor: a bare Flask app answering "hello", nothing else.

Served by the appserver's own gunicorn configuration, it shows what gunicorn,
Flask and this machine cost before any of the appserver's work:

    gunicorn -c python:yelb_appserver.gunicorn_conf bench.floor_app:app
"""

from flask import Flask


def hello_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    @app.get("/healthz")  # what the benchmark waits for before measuring
    def hello():
        return "hello"

    return app


app = hello_app()
