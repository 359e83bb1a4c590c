"""Pooled PostgreSQL connections: trusted while in use, checked after a pause (core.db)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from core import db


def _postgres(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("le pool à surveiller est celui de PostgreSQL")


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_dropped_while_idle_is_replaced_before_the_page_uses_it(engine, monkeypatch):
    """A database restart (or a firewall) ends idle connections: the next page must not fail."""
    _postgres(engine)
    pid = _backend_pid(engine)
    killer = create_engine(engine.url, poolclass=NullPool)
    with killer.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    monkeypatch.setattr(db, "IDLE_PING_S", 0.0)  # the pooled connection has waited long enough
    new_pid = _backend_pid(engine)  # no OperationalError: pinged, found dead, replaced
    assert new_pid != pid
