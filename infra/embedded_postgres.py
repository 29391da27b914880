"""The demo's embedded PostgreSQL (the `pgserver` package, PostgreSQL 16) kept in a project folder.

Used only when DATABASE_URL is not set. The server lives as long as the process that started it."""
from __future__ import annotations

from pathlib import Path

import psycopg

DATABASE_NAME = "haochaping"


def start(pgdata: Path) -> str:
    """Start (or reuse) the server in `pgdata` and return a DATABASE_URL for the project database."""
    import pgserver

    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    admin_uri = server.get_uri("postgres")
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    start.server = server  # keep the handle alive for the life of this process
    return server.get_uri(DATABASE_NAME)
