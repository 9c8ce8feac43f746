"""The floor (floor_app.py) answering with the headers of an appserver /api/ answer.

Every /api/ answer carries a request id, the release headers and the original Yelb's
CORS grant. Here they are made once and added to "hello": the difference to the bare
floor is what gunicorn spends writing them, apart from the appserver's work to make them.

    gunicorn -c python:yelb_appserver.gunicorn_conf bench.floor_with_api_headers:app
"""

import socket

from bench.floor_app import hello_app
from yelb_appserver.config import Config
from yelb_appserver.middleware import CORS_HEADERS, REQUEST_ID_HEADER
from yelb_appserver.replica import Release

API_HEADERS = [
    (REQUEST_ID_HEADER, "0" * 32),  # as long as a new request id
    *Release.from_config(Config.from_env()).headers(socket.gethostname()),
    *CORS_HEADERS,
]


def with_headers(wsgi_app, headers: list[tuple[str, str]]):
    def add_headers(environ, start_response):
        return wsgi_app(environ, lambda status, answer_headers, exc_info=None:
                        start_response(status, answer_headers + headers, exc_info))
    return add_headers


app = hello_app()
app.wsgi_app = with_headers(app.wsgi_app, API_HEADERS)
