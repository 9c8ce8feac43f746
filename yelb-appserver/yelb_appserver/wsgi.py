"""WSGI entry point for gunicorn: `gunicorn yelb_appserver.wsgi:app`."""

from . import create_app

app = create_app()
