"""The yelb-db image's init scripts, applied to a throwaway PostgreSQL as the
image's entrypoint applies them: each file once, in name order, by psql, with
POSTGRES_PASSWORD in the environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .services import PG_BIN, PG_PASSWORD, PostgresServer

ROOT = Path(__file__).resolve().parents[1]
# As yelb-db/Dockerfile lays them out: the appserver's schema first, then the image's own files.
INIT_SQL = [ROOT / "yelb-appserver" / "yelb_appserver" / "stores" / "schema.sql",
            *sorted((ROOT / "yelb-db" / "init").glob("*.sql"))]
# The appserver's role the init scripts create; its password is POSTGRES_PASSWORD.
APP_ROLE = "yelb"


def run_init_scripts(postgres: PostgresServer, database: str) -> None:
    for script in INIT_SQL:
        subprocess.run([str(PG_BIN / "psql"), "-v", "ON_ERROR_STOP=1", "-q", "-X", "-f", str(script),
                        "-h", postgres.host, "-p", str(postgres.port), "-U", "postgres", "-d", database],
                       env={"PATH": os.environ["PATH"], "PGPASSWORD": PG_PASSWORD,
                            "POSTGRES_PASSWORD": PG_PASSWORD},
                       check=True, capture_output=True, text=True, timeout=60)


def app_role_env(postgres: PostgresServer, database: str) -> dict[str, str]:
    """Appserver settings for a database made by the init scripts, as the deployment files connect."""
    return {**postgres.env(database), "YELB_DB_USER": APP_ROLE}
