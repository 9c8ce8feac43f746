"""yelb-db's init SQL against a real PostgreSQL (the suite's throwaway server),
run by psql as the image's entrypoint runs it: the appserver's own schema file
first, so it makes the tables and index the appserver makes; then it seeds the original four options at 0, creates the
appserver's `yelb` role with only what it needs, and the appserver's own
schema step on top of it changes nothing."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from yelb_appserver.options import DEFAULT_OPTIONS
from yelb_appserver.stores import seed_rows
from yelb_appserver.stores.postgres import SEED_OPTION, create_tables

from stack.services import PG_PASSWORD
from stack.yelb_db import INIT_SQL, run_init_scripts

TABLES = ("restaurants", "vote_keys")
COLUMNS = ("SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
           "FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position")
PRIMARY_KEY = ("SELECT a.attname FROM pg_index i JOIN pg_attribute a "
               "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
               "WHERE i.indrelid = %s::regclass AND i.indisprimary")


@pytest.fixture
def fresh_database(postgres):
    name = f"yelb_db_image_{uuid.uuid4().hex[:8]}"
    with postgres.connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with postgres.connect("postgres") as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def appserver_schema_step(postgres, database):
    with postgres.connect(database) as conn:
        create_tables(conn)
        conn.cursor().executemany(SEED_OPTION, seed_rows(DEFAULT_OPTIONS))


def indexes(postgres, database):
    with postgres.connect(database) as conn:
        return sorted(conn.execute("SELECT indexname, indexdef FROM pg_indexes "
                                   "WHERE schemaname = 'public'").fetchall())


def connect_as_app_role(postgres, database):
    return psycopg.connect(host=postgres.host, port=postgres.port, dbname=database, user="yelb",
                           password=PG_PASSWORD, autocommit=True, connect_timeout=5)


def shape(postgres, database, table="restaurants"):
    with postgres.connect(database) as conn:
        return conn.execute(COLUMNS, (table,)).fetchall(), conn.execute(PRIMARY_KEY, (table,)).fetchall()


def test_the_image_runs_the_appservers_schema_file_first():
    assert [path.name for path in INIT_SQL] == ["schema.sql", "20-yelb-seed-and-role.sql"]
    dockerfile = (INIT_SQL[1].parents[1] / "Dockerfile").read_text()
    assert ("COPY yelb-appserver/yelb_appserver/stores/schema.sql "
            "/docker-entrypoint-initdb.d/10-yelb-schema.sql") in dockerfile


def test_seeds_the_original_four_options_at_zero(postgres, fresh_database):
    run_init_scripts(postgres, fresh_database)
    assert postgres.counts(fresh_database) == {"outback": 0, "bucadibeppo": 0, "chipotle": 0, "ihop": 0}
    assert {option.name for option in DEFAULT_OPTIONS} == set(postgres.counts(fresh_database))


def test_same_tables_as_the_appserver_creates(postgres, fresh_database):
    run_init_scripts(postgres, fresh_database)
    from_image = {table: shape(postgres, fresh_database, table) for table in TABLES}
    image_indexes = indexes(postgres, fresh_database)
    with postgres.connect(fresh_database) as conn:
        conn.execute("DROP TABLE restaurants, vote_keys")
    appserver_schema_step(postgres, fresh_database)
    assert {table: shape(postgres, fresh_database, table) for table in TABLES} == from_image
    assert indexes(postgres, fresh_database) == image_indexes
    assert ("vote_keys_voted_at", "CREATE INDEX vote_keys_voted_at ON public.vote_keys "
            "USING btree (voted_at)") in image_indexes
    assert from_image["restaurants"][1] == [("name",)]
    assert from_image["vote_keys"][1] == [("key",)]


def test_appserver_on_top_of_the_image_keeps_every_count(postgres, fresh_database):
    run_init_scripts(postgres, fresh_database)
    with postgres.connect(fresh_database) as conn:
        conn.execute("UPDATE restaurants SET count = 7 WHERE name = 'ihop'")
    appserver_schema_step(postgres, fresh_database)
    assert postgres.counts(fresh_database)["ihop"] == 7
    assert len(postgres.counts(fresh_database)) == 4


def test_init_sql_is_idempotent(postgres, fresh_database):
    run_init_scripts(postgres, fresh_database)
    with postgres.connect(fresh_database) as conn:
        conn.execute("UPDATE restaurants SET count = 3 WHERE name = 'outback'")
    run_init_scripts(postgres, fresh_database)
    assert postgres.counts(fresh_database)["outback"] == 3


def test_app_role_votes_and_prunes_but_is_no_superuser(postgres, fresh_database):
    run_init_scripts(postgres, fresh_database)
    with connect_as_app_role(postgres, fresh_database) as conn:
        superuser, create_role, create_db = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user").fetchone()
        assert not (superuser or create_role or create_db)
        conn.execute("UPDATE restaurants SET count = count + 1 WHERE name = 'ihop'")
        conn.execute("INSERT INTO vote_keys (key, name) VALUES ('k1', 'ihop')")
        conn.execute("DELETE FROM vote_keys WHERE key = 'k1'")
        for forbidden in ("DROP TABLE restaurants", "TRUNCATE vote_keys", "DELETE FROM restaurants",
                          "CREATE TABLE intruder (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(forbidden)
    assert postgres.counts(fresh_database)["ihop"] == 1


def test_replicas_creating_the_tables_at_the_same_moment_all_succeed(postgres, fresh_database):
    """CREATE TABLE IF NOT EXISTS is not safe against a twin running at the same moment
    (the slower one fails on the catalog's unique index): create_tables takes that as done."""
    import threading

    connections = [postgres.connect(fresh_database) for _ in range(8)]
    start, failures = threading.Barrier(len(connections)), []

    def create(conn):
        start.wait()
        try:
            create_tables(conn)
        except psycopg.Error as exc:
            failures.append(exc)

    threads = [threading.Thread(target=create, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for conn in connections:
        conn.close()
    assert failures == []
    assert [name for name, _ in indexes(postgres, fresh_database)] == [
        "restaurants_pkey", "vote_keys_pkey", "vote_keys_voted_at"]
