"""Migrations build the schema from nothing, on both databases, and match the code's tables."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from core.db import Base, _create_engine, alembic_config, dispose_engine, get_engine, upgrade

TABLES = {
    "users",
    "applications",
    "submissions",
    "audit_events",
    "login_throttles",
    "account_tokens",
    "outbox_messages",
    "alembic_version",
    # 0005: the prefect consultation
    "user_departments",
    "opinions",
    "opinion_changes",
}


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


def test_upgrade_from_the_previous_schema_keeps_accounts_and_adds_login_throttles(database_url):
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0001")
        with plain.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, role, created_at) "
                    "VALUES ('dgs@ville-bondy.fr', 'Lou Bernard', 'x', 'applicant', "
                    "'2021-01-04 09:00:00')"
                )
            )
        command.upgrade(cfg, "0003")
        assert "login_throttles" in inspect(plain).get_table_names()
        with plain.connect() as conn:
            emails = conn.execute(text("SELECT email FROM users")).scalars().all()
        assert emails == ["dgs@ville-bondy.fr"]
    finally:
        plain.dispose()


def test_0004_upgrades_a_database_built_by_0003(database_url):
    # Accounts made before e-mail confirmation existed: staff (created by an operator) count as
    # confirmed, self-registered applicants confirm once; nothing else changes.
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0003")
        with plain.begin() as conn:
            for n, role in enumerate(("applicant", "reviewer", "admin"), start=1):
                conn.execute(
                    text(
                        "INSERT INTO users (id, email, name, password_hash, role, failed_logins,"
                        " session_version, created_at) VALUES (:id, :email, 'Nom', 'x', :role,"
                        " 0, 1, '2021-01-04 09:00:00')"
                    ),
                    {"id": n, "email": f"{role}@exemple.fr", "role": role},
                )
        command.upgrade(cfg, "0004")
        assert _current(plain) == "0004"
        with plain.connect() as conn:
            rows = conn.execute(
                text("SELECT role, email_confirmed_at FROM users ORDER BY id")
            ).all()
            assert [(role, at is not None) for role, at in rows] == [
                ("applicant", False),
                ("reviewer", True),
                ("admin", True),
            ]
            assert conn.execute(text("SELECT count(*) FROM outbox_messages")).scalar_one() == 0
        command.downgrade(cfg, "0003")
        columns = {c["name"] for c in inspect(plain).get_columns("users")}
        assert "email_confirmed_at" not in columns
    finally:
        plain.dispose()


def test_upgrade_to_0005_keeps_the_data_of_a_0004_database(database_url):
    """A database built by the previous schema, with an account and a submitted application,
    gains the consultation tables; its rows are untouched and the new tables start empty."""
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0004")
        with plain.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, role, failed_logins, "
                    "session_version, created_at) VALUES (1, 'a@b.fr', 'A', 'x', 'reviewer', 0, "
                    "1, '2021-01-05 10:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO applications (id, call_id, owner_id, status, data, version, "
                    "created_at, updated_at, department) VALUES (1, 'cnfs-2020-collectivites', "
                    "1, 'submitted', '{}', 2, '2021-01-05 10:00:00', '2021-01-05 10:00:00', '93')"
                )
            )
        command.upgrade(cfg, "0005")
        assert _current(plain) == "0005"
        with plain.connect() as conn:
            assert conn.execute(text("SELECT role FROM users")).scalar_one() == "reviewer"
            assert conn.execute(text("SELECT department FROM applications")).scalar_one() == "93"
            for query in (
                "SELECT count(*) FROM user_departments",
                "SELECT count(*) FROM opinions",
                "SELECT count(*) FROM opinion_changes",
            ):
                assert conn.execute(text(query)).scalar_one() == 0
        command.downgrade(cfg, "0004")
        assert "opinions" not in inspect(plain).get_table_names()
    finally:
        plain.dispose()


def test_upgrade_to_0006_keeps_drafts_and_none_is_deleted(database_url):
    # A database built by the previous schema, with a user and a draft, upgraded to 0006.
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0005")
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
        command.upgrade(cfg, "0006")
        with plain.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT version, siret, deleted_at FROM applications WHERE id = 7"
            ).one()
        assert tuple(row) == (3, "21930066200018", None)
        command.downgrade(cfg, "0005")
        columns = {c["name"] for c in inspect(plain).get_columns("applications")}
        assert "deleted_at" not in columns
    finally:
        plain.dispose()
