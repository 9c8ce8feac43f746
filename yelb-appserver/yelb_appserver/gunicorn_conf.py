"""gunicorn settings for the appserver, from the same environment variables.

Used by the `yelb-appserver` command and usable directly:
    gunicorn -c python:yelb_appserver.gunicorn_conf yelb_appserver.wsgi:app
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import math
import os
import pkgutil

from gunicorn import glogging, util
from prometheus_client import multiprocess

from .config import Config
from .request_log import JsonFormatter
from .shutdown import delay_exit_on_sigterm

_config = Config.from_env()

# 0.0.0.0 in a container, 127.0.0.1 under `make run`: gunicorn cannot shed slow clients the
# way the nginx front does, so only the front should be reachable from outside.
bind = [f"[{_config.address}]:{_config.port}" if ":" in _config.address
        else f"{_config.address}:{_config.port}"]
workers = _config.worker_processes
threads = _config.threads
worker_class = "gthread"
# A worker that is busy longer than this is killed and replaced.
timeout = 30
graceful_timeout = math.ceil(_config.graceful_timeout + _config.shutdown_delay)
keepalive = 5
# Workers prove they are alive by touching a file many times a second: keep it
# in memory (gunicorn's advice for containers), and off a read-only root.
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
# gunicorn's runtime control socket is not needed, and would want a writable $HOME.
control_socket_disable = True
errorlog = "-"
# Caps for malformed or abusive requests: gunicorn answers 400 before Flask sees them.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


def write_json_error(sock, status_int, reason, mesg):
    """gunicorn's own error answers (a request line or headers it refuses) in the app's JSON
    format. Its HTML page would quote the offending request line back; this names only the
    status, and gunicorn's log keeps the detail."""
    body = json.dumps({"error": reason.lower(), "status": status_int}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


# The workers call util.write_error for every error answer of their own. gunicorn has no
# setting for this page; a worker subclass would have to copy its whole error mapping, and
# letting nginx replace upstream errors would also replace the app's own JSON explanations.
util.write_error = write_json_error


class JsonLogger(glogging.Logger):
    """gunicorn's own messages as JSON lines, like the app's; no access log.

    The app already logs one JSON line per request (request_log.py), so
    gunicorn's access log would only repeat it, at a cost on every request.
    """

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        pass


logger_class = JsonLogger


def on_starting(server):
    fields = {
        "address": _config.address, "port": _config.port,
        "votes": (f"postgresql://{_config.db_user}@{_config.db_host}:{_config.db_port}/"
                  f"{_config.db_name}" if _config.uses_postgres
                  else f"sqlite:{_config.sqlite_path}"),
        "pageviews": (f"redis://{_config.redis_host}:{_config.redis_port}"
                      if _config.uses_redis else f"sqlite:{_config.sqlite_path}"),
        "workers": workers, "threads": threads,
    }
    # The fields both as the line's own keys, for log tools, and as words a reader finds.
    logging.getLogger("gunicorn.error").info(
        "yelb-appserver starting: " + " ".join(f"{key}={value}" for key, value in fields.items()),
        extra={"fields": fields})


def _import_the_app() -> None:
    """Import the app's code in the master, once: the workers inherit it when forked, so its
    pages are shared between them instead of copied into each, and a worker starts by only
    creating the app. The app itself is still created in each worker: its connection pools
    and threads would not survive the fork."""
    import yelb_appserver

    for module in pkgutil.walk_packages(yelb_appserver.__path__, "yelb_appserver."):
        if module.name != "yelb_appserver.wsgi":  # wsgi.py creates the app when imported
            importlib.import_module(module.name)


_import_the_app()


def when_ready(server):
    # Objects made so far live as long as the master: left out of the garbage collector, its
    # passes in a worker no longer write to (and so copy) the pages they share with the master.
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    if _config.shutdown_delay:
        delay_exit_on_sigterm(worker, _config.shutdown_delay)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
