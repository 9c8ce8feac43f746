"""PostgreSQL connections stay within one per-replica budget
(YELB_DB_MAX_CONNECTIONS, split over the workers), the appserver runs as the
yelb-db image's non-superuser `yelb` role, and a server out of connection slots
gives a clear 503 naming postgresql that clears by itself.

Each test runs its own PostgreSQL with a small max_connections, so running out
is real, not simulated."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from yelb_appserver.config import Config, ConfigError

from stack.services import PG_PASSWORD, PostgresServer, appserver_command, wait_until
from stack.yelb_db import APP_ROLE, app_role_env, run_init_scripts

from .conftest import Client

RESERVED = 3  # superuser_reserved_connections, PostgreSQL's default


@pytest.fixture
def small_postgres(request, tmp_path_factory):
    """A PostgreSQL of its own; its max_connections is the test's indirect parameter."""
    max_connections = request.param
    server = PostgresServer(settings={"max_connections": max_connections,
                                      "superuser_reserved_connections": RESERVED}).start()
    with server.connect("postgres") as admin:
        admin.execute("CREATE DATABASE yelbdatabase")
    run_init_scripts(server, "yelbdatabase")
    yield server
    server.destroy()


def app_connections(postgres) -> int:
    with postgres.connect("postgres") as admin:
        return admin.execute("SELECT count(*) FROM pg_stat_activity "
                             "WHERE application_name = 'yelb-appserver'").fetchone()[0]


@pytest.mark.parametrize("budget, workers, per_worker", [(8, 2, 4), (8, 5, 1), (8, 8, 1), (12, 5, 2)])
def test_pool_size_is_the_budget_split_over_the_workers(budget, workers, per_worker):
    config = Config.from_env({"YELB_DB_SERVER_ENDPOINT": "db", "YELB_DB_MAX_CONNECTIONS": str(budget),
                              "YELB_APPSERVER_WORKERS": str(workers)})
    assert config.db_connections_per_worker == per_worker
    assert per_worker * workers <= budget


def test_a_budget_below_the_workers_stops_the_start_with_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "YELB_DB_SERVER_ENDPOINT": "db", "YELB_DB_MAX_CONNECTIONS": "2",
           "YELB_APPSERVER_WORKERS": "3", **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}
    result = subprocess.run([appserver_command()], cwd=tmp_path, capture_output=True, text=True, timeout=20,
                            env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "yelb-appserver: configuration error: YELB_DB_MAX_CONNECTIONS: 2 is fewer than the 3 workers; "
        "each needs one connection"]
    with pytest.raises(ConfigError):
        Config.from_env({"YELB_DB_SERVER_ENDPOINT": "db", "YELB_DB_MAX_CONNECTIONS": "2",
                         "YELB_APPSERVER_WORKERS": "3"})


# Three replicas at a budget of 4 fill exactly what a non-superuser may use.
@pytest.mark.parametrize("small_postgres", [3 * 4 + RESERVED], indirect=True)
def test_replicas_at_full_scale_stay_within_the_budget_under_load(appserver_factory, small_postgres):
    """5 replicas x 8 workers against 100 slots, in small: three
    replicas of 2 workers x 8 threads, busy enough that every pool would grow
    to its old size (4 per worker: 24 wanted, 12 free), must share 12."""
    replicas = [appserver_factory({**app_role_env(small_postgres, "yelbdatabase"),
                                   "YELB_DB_MAX_CONNECTIONS": "4"}) for _ in range(3)]
    clients = [Client(server.url) for server in replicas]
    for client in clients:
        wait_until(lambda client=client: client.get("/readyz").status_code == 200, 15, "a ready replica")
    peak, stop = [0], threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], app_connections(small_postgres))
            time.sleep(0.05)

    def vote(i: int) -> int:
        client = clients[i % len(clients)]
        return client.post("/api/votes/ihop", headers={"Idempotency-Key": uuid.uuid4().hex}).status_code

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        with ThreadPoolExecutor(48) as pool:
            statuses = list(pool.map(vote, range(1500)))
    finally:
        stop.set()
        watcher.join()
    failed = len(statuses) - statuses.count(200)
    print(f"3 replicas x budget 4: 1,500 votes from 48 clients in {time.monotonic() - started:.1f}s, "
          f"{failed} failed, at most {peak[0]} of {3 * 4} connections")
    assert failed == 0
    assert peak[0] <= 3 * 4
    assert small_postgres.counts()["ihop"] == 1500
    assert "too many" not in small_postgres.log_file.read_text()


# Room for three non-superuser connections; the superuser keeps its reserve.
@pytest.mark.parametrize("small_postgres", [3 + RESERVED], indirect=True)
def test_too_many_clients_is_a_clear_503_that_clears_by_itself(appserver_factory, small_postgres):
    holders = [psycopg.connect(host=small_postgres.host, port=small_postgres.port, dbname="yelbdatabase",
                               user=APP_ROLE, password=PG_PASSWORD, autocommit=True) for _ in range(3)]
    try:
        server = appserver_factory({**app_role_env(small_postgres, "yelbdatabase"),
                                    "YELB_DB_MAX_CONNECTIONS": "2", "YELB_APPSERVER_WORKERS": "1"},
                                   workers=1)
        api = Client(server.url)
        refused = api.post("/api/votes/ihop")
        assert refused.status_code == 503
        assert refused.headers["Content-Type"] == "application/json"
        assert refused.json()["dependency"] == "postgresql" and "postgresql" in refused.json()["error"]
        assert api.get("/readyz").status_code == 503
        assert "too many connections: PostgreSQL has no free connection slot" in server.log_text()
        # The app's role never takes the administrators' reserve.
        with small_postgres.connect() as admin:
            assert admin.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s",
                                 (APP_ROLE,)).fetchone()[0] == 3
    finally:
        for holder in holders:
            holder.close()
    freed = time.monotonic()
    wait_until(lambda: api.post("/api/votes/ihop").status_code == 200, 15,
               "votes to succeed once connection slots are free")
    print(f"votes succeeded {time.monotonic() - freed:.1f}s after slots were freed, without a restart")
    assert api.get("/readyz").status_code == 200
    assert small_postgres.counts()["ihop"] == 1


@pytest.mark.parametrize("small_postgres", [20], indirect=True)
def test_the_app_role_votes_remembers_keys_and_prunes(appserver_factory, small_postgres):
    """As the deployment files run it: YELB_DB_USER=yelb on a database the yelb-db
    init scripts made. Its connection set-up creates nothing, so no CREATE right
    is needed."""
    server = appserver_factory(app_role_env(small_postgres, "yelbdatabase"))
    api = Client(server.url)
    key = uuid.uuid4().hex
    assert api.post("/api/votes/ihop", headers={"Idempotency-Key": key}).json() == {"name": "ihop", "value": 1}
    assert api.post("/api/votes/ihop", headers={"Idempotency-Key": key}).json()["value"] == 1
    assert api.post("/api/votes/outback", headers={"Idempotency-Key": key}).status_code == 422
    assert api.get("/api/outback").json() == 1
    with small_postgres.connect() as admin:
        admin.execute("INSERT INTO vote_keys (key, name, voted_at) "
                      "SELECT 'old-' || i, 'ihop', now() - interval '1 day' FROM generate_series(1, 500) i")
        assert admin.execute("SELECT usesuper FROM pg_user WHERE usename = %s", (APP_ROLE,)).fetchone()[0] is False
    wait_until(lambda: small_postgres.counts() and _keys(small_postgres) == 1, 20, "the app role to prune")
    assert "permission denied" not in server.log_text()


def _keys(postgres) -> int:
    with postgres.connect() as conn:
        return conn.execute("SELECT count(*) FROM vote_keys").fetchone()[0]


@pytest.mark.parametrize("small_postgres", [20], indirect=True)
def test_a_failing_prune_never_touches_a_vote_or_a_connection(appserver_factory, small_postgres):
    """Pruning that keeps failing (here the role may no longer delete keys) is
    logged once per streak and retried; votes and new connections go on."""
    with small_postgres.connect() as admin:
        admin.execute(f"REVOKE DELETE ON vote_keys FROM {APP_ROLE}")
        admin.execute("INSERT INTO vote_keys (key, name, voted_at) "
                      "SELECT 'old-' || i, 'ihop', now() - interval '1 day' FROM generate_series(1, 50) i")
    server = appserver_factory({**app_role_env(small_postgres, "yelbdatabase"), "YELB_APPSERVER_WORKERS": "1"},
                               workers=1)
    api = Client(server.url)
    wait_until(lambda: "pruning expired idempotency keys failed" in server.log_text(), 15, "a failed prune")
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:  # several more failed runs, and a forced reconnect in between
        assert api.post("/api/votes/ihop", headers={"Idempotency-Key": uuid.uuid4().hex}).status_code == 200
        with small_postgres.connect() as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (APP_ROLE,))
        time.sleep(0.5)
    assert server.log_text().count("pruning expired idempotency keys failed") == 1
    with small_postgres.connect() as admin:
        admin.execute(f"GRANT DELETE ON vote_keys TO {APP_ROLE}")
    wait_until(lambda: _keys(small_postgres) == small_postgres.counts()["ihop"], 15,
               "pruning to resume once it may delete again")
