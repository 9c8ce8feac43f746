"""One schema: the embedded store makes its tables from the same schema.sql as PostgreSQL
and the yelb-db image (tests/compose/test_db_schema.py checks those two on a real server)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "yelb_appserver" / "stores" / "schema.sql"


def statements(sql: str) -> dict[str, str]:
    """Each CREATE statement of a script by the name it creates, comments dropped, spaces collapsed."""
    text = re.sub(r"--[^\n]*", "", sql)
    found = {}
    for statement in filter(None, (part.strip() for part in text.split(";"))):
        name = re.search(r"(?:TABLE|INDEX) (?:IF NOT EXISTS )?(\w+)", statement).group(1)
        found[name] = " ".join(statement.replace("IF NOT EXISTS ", "").split())
    return found


def test_the_embedded_store_creates_the_shared_tables_as_written(client, tmp_path):
    assert client.get("/api/getvotes").status_code == 200
    with sqlite3.connect(tmp_path / "yelb.sqlite3") as conn:
        made = {name: " ".join(sql.split()) for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL")}
    shared = statements(SCHEMA_FILE.read_text())
    assert set(shared) == {"restaurants", "vote_keys", "vote_keys_voted_at"}
    assert {name: made[name] for name in shared} == shared
    # The one table of its own: page views, which Redis keeps when it is configured.
    assert set(made) - set(shared) == {"counters"}


def test_a_keyed_vote_is_remembered_with_its_time(client, tmp_path):
    assert client.post("/api/votes/ihop", headers={"Idempotency-Key": "k-1"}).json == {"name": "ihop", "value": 1}
    with sqlite3.connect(tmp_path / "yelb.sqlite3") as conn:
        (voted_at,) = conn.execute("SELECT voted_at FROM vote_keys WHERE key = 'k-1'").fetchone()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", voted_at)
