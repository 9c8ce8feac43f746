"""Graceful shutdown: stop being ready, keep serving a moment, then finish.

gunicorn already lets in-flight requests finish after SIGTERM (within
YELB_GRACEFUL_TIMEOUT). What it lacks is a pause in between: on Kubernetes the
endpoint is removed only after the readiness probe fails, so a worker that
stops accepting at once drops the requests still routed to it. With
YELB_SHUTDOWN_DELAY=N a worker reports "not ready" for N seconds, still
serving, and only then begins gunicorn's normal graceful exit.
"""

from __future__ import annotations

import signal
import threading

draining = threading.Event()


def delay_exit_on_sigterm(worker, delay: float) -> None:
    """gunicorn post_worker_init hook body: re-route the worker's SIGTERM."""
    graceful_exit = worker.handle_exit

    def on_sigterm(signum, frame):
        draining.set()
        worker.log.info("SIGTERM: not ready; exiting in %.1f s", delay)
        threading.Timer(delay, graceful_exit, args=(signum, frame)).start()

    signal.signal(signal.SIGTERM, on_sigterm)
