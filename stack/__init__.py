"""The whole Yelb stack as processes on this machine: PostgreSQL, Redis, appserver
replicas and the nginx front. Used by `make stack-up`, the demos,
the benchmarks and the tests; see README.md."""

from .nginx import NginxFront
from .runner import Stack
from .services import AppServer, PostgresServer, RedisServer, free_port, port_open, wait_until

__all__ = ["AppServer", "NginxFront", "PostgresServer", "RedisServer", "Stack",
           "free_port", "port_open", "wait_until"]
