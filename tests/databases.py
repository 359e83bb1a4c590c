"""Fresh PostgreSQL databases for tests: created with a random name, dropped afterwards."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def fresh_postgres_database(admin_url: str, prefix: str = "cnfs_test") -> Iterator[str]:
    """Yield the URL of a new empty database on the server of admin_url, then drop it."""
    admin_url_parsed = make_url(admin_url)
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(admin_url_parsed, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin_url_parsed.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
