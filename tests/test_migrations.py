"""Migrations build the schema from nothing, on both databases, and match the code's tables."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from core.db import Base, _create_engine, alembic_config, dispose_engine, get_engine, upgrade

TABLES = {"users", "applications", "submissions", "audit_events", "alembic_version"}


def _head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_get_engine_migrates_an_empty_database_to_head(database_url):
    try:
        engine = get_engine(database_url)
        assert set(inspect(engine).get_table_names()) == TABLES
        assert _current(engine) == _head()
    finally:
        dispose_engine(database_url)


def test_upgrading_twice_is_a_no_op(database_url):
    engine = _create_engine(database_url)
    try:
        upgrade(engine)
        upgrade(engine)
        assert _current(engine) == _head()
    finally:
        engine.dispose()
    # A second process starting on a migrated database.
    try:
        assert _current(get_engine(database_url)) == _head()
    finally:
        dispose_engine(database_url)


def test_migrations_match_the_tables_in_code(engine):
    # Fails when a column or index is added to core/db.py without its migration.
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_nothing_and_back(database_url):
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "head")
        command.downgrade(cfg, "base")
        assert set(inspect(plain).get_table_names()) == {"alembic_version"}
        command.upgrade(cfg, "head")
        assert _current(plain) == _head()
    finally:
        plain.dispose()


def test_indexes_for_reviewer_filters_exist(engine):
    indexed = {tuple(ix["column_names"]) for ix in inspect(engine).get_indexes("applications")}
    for column in ("status", "department", "verdict_status", "structure_type"):
        assert ("call_id", column) in indexed


def test_upgrade_from_0001_keeps_drafts_and_none_is_deleted(database_url):
    # A database built by the first schema, with a user and a draft, upgraded to head.
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0001")
        with plain.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, name, password_hash, role, failed_logins,"
                " session_version, created_at) VALUES (1, 'a@b.fr', 'A', 'x', 'applicant', 0, 1,"
                " '2021-01-10 09:00:00+00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO applications (id, call_id, owner_id, status, data, version,"
                " created_at, updated_at, siret) VALUES (7, 'cnfs-2020-collectivites', 1,"
                " 'draft', '{}', 3, '2021-01-10 09:00:00+00:00', '2021-01-10 09:00:00+00:00',"
                " '21930066200018')"
            )
        command.upgrade(cfg, "head")
        with plain.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT version, siret, deleted_at FROM applications WHERE id = 7"
            ).one()
        assert tuple(row) == (3, "21930066200018", None)
    finally:
        plain.dispose()
