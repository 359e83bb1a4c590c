"""Migrations build the schema from nothing, on both databases, and match the code's tables."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import review_dossier, storage
from core.calls import get_call
from core.db import (
    ApplicationRow,
    Base,
    UTCDateTime,
    _create_engine,
    alembic_config,
    dispose_engine,
    get_engine,
    upgrade,
)
from core.models import SNAPSHOT, Application, Verdict
from core.pdf import pdf_sha256, render_application
from core.storage import Role, User
from tests.builders import SIRET_OTHER, WAVE1, complete_application

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
    # 0008: logins kept on the server
    "login_sessions",
    # 0010: reviewers scoped by call
    "user_calls",
    # 0011: attachments
    "attachment_files",
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
    with engine.connect() as conn, warnings.catch_warnings():
        # On SQLite the PostgreSQL-only index (core.db, ddl_if) is absent on purpose: Alembic
        # says it skips it, and compares the rest.
        warnings.filterwarnings("ignore", "autogenerate skipping .*ix_applications_submitted")
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


# --- 0001 -> head: a database built by the first schema, with a submitted application ---------

GOLDEN = json.loads((Path(__file__).parent / "golden" / "submitted_pdfs.json").read_text())
SUBMITTED_AT = dt.datetime(2021, 2, 10, 14, 5, tzinfo=dt.UTC)


def _seed_revision_0001(url: str) -> dict[str, int]:
    """Rows as the code of revision 0001 wrote them: a submitted dossier and a draft."""
    cfg = alembic_config(url)
    command.upgrade(cfg, "0001")
    case = GOLDEN["cases"]["commune, wave 1"]
    call = get_call(case["call"])
    data, verdict = case["data"], Verdict.model_validate(case["verdict"])
    draft = complete_application(WAVE1, **{"structure.siret": SIRET_OTHER, "posts.count": 3})
    plain = create_engine(url)
    users = sa.table(
        "users",
        *(sa.column(c) for c in ("id", "email", "name", "password_hash", "role")),
        sa.column("created_at", UTCDateTime()),
    )
    applications = sa.table(
        "applications",
        *(sa.column(c) for c in ("id", "call_id", "owner_id", "status", "verdict_status")),
        *(sa.column(c) for c in ("version", "siret", "structure_name", "posts_count")),
        sa.column("data", sa.JSON()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    submissions = sa.table(
        "submissions",
        *(sa.column(c) for c in ("id", "application_id", "dossier_number", "call_version")),
        *(sa.column(c) for c in ("commitments_version", "pdf_sha256")),
        sa.column("data", sa.JSON()),
        sa.column("verdict", sa.JSON()),
        sa.column("submitted_at", UTCDateTime()),
    )
    try:
        with plain.begin() as conn:
            conn.execute(
                sa.insert(users).values(
                    id=1,
                    email="mairie@example.fr",
                    name="Mairie",
                    password_hash="x",
                    role="applicant",
                    created_at=SUBMITTED_AT,
                )
            )
            for app_id, status, answers in ((12, "submitted", data), (13, "draft", draft)):
                conn.execute(
                    sa.insert(applications).values(
                        id=app_id,
                        call_id=WAVE1,
                        owner_id=1,
                        status=status,
                        version=3,
                        verdict_status=verdict.status.value,
                        siret=answers["structure"]["siret"],
                        structure_name=answers["structure"]["name"],
                        posts_count=answers["posts"]["count"],
                        data=answers,
                        created_at=SUBMITTED_AT,
                        updated_at=SUBMITTED_AT,
                    )
                )
            conn.execute(
                sa.insert(submissions).values(
                    id=1,
                    application_id=12,
                    dossier_number="CNFS-2021-000012",
                    call_version=call.version,
                    commitments_version=call.commitments_version,
                    pdf_sha256=case["sha256"],
                    data=data,
                    verdict=verdict.model_dump(mode="json"),
                    submitted_at=SUBMITTED_AT,
                )
            )
    finally:
        plain.dispose()
    return {"submitted": 12, "draft": 13}


def test_upgrade_from_0001_keeps_submitted_dossiers_and_their_pdf_hash(database_url):
    ids = _seed_revision_0001(database_url)
    reviewer = User(id=99, email="anct@example.fr", name="ANCT", role=Role.REVIEWER, calls=(WAVE1,))
    try:
        engine = get_engine(database_url)  # migrates to head
        assert _current(engine) == _head()
        with Session(engine) as session:
            dossier = review_dossier.get_dossier(
                session=session, user=reviewer, application_id=ids["submitted"]
            )
            assert dossier.submission.dossier_number == "CNFS-2021-000012"
            assert review_dossier.dossier_pdf(dossier).matches is True
            subsidies = dict(
                session.execute(sa.select(ApplicationRow.id, ApplicationRow.subsidy_eur)).all()
            )
        # The submitted one from its frozen verdict, the draft from its answers' verdict.
        assert subsidies == {ids["submitted"]: 100_000, ids["draft"]: 150_000}
    finally:
        dispose_engine(database_url)


def test_each_golden_pdf_is_rendered_again_byte_for_byte():
    for name, case in GOLDEN["cases"].items():
        call = get_call(case["call"])
        content = render_application(
            Application.model_validate(case["data"], context=SNAPSHOT),
            Verdict.model_validate(case["verdict"]),
            call,
            dossier_number="CNFS-2021-000012",
            submitted_at=SUBMITTED_AT,
            generated_at=SUBMITTED_AT,
        )
        assert pdf_sha256(content) == case["sha256"], name


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


def test_upgrade_to_0008_keeps_accounts_and_ends_only_old_format_cookies(database_url):
    """A database built by 0007: accounts keep everything but the two unused lockout columns;
    logins now live in login_sessions, which starts empty (old cookies no longer work)."""
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0007")
        with plain.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, name, password_hash, role, failed_logins,"
                " locked_until, session_version, created_at) VALUES (1, 'a@b.fr', 'A', 'x',"
                " 'reviewer', 3, '2021-01-10 09:00:00+00:00', 4, '2021-01-10 09:00:00+00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO login_throttles (email, source, failures, rounds, updated_at)"
                " VALUES ('a@b.fr', '203.0.113.5', 2, 1, '2021-01-10 09:00:00+00:00')"
            )
        command.upgrade(cfg, "0008")
        assert _current(plain) == "0008"
        columns = {c["name"] for c in inspect(plain).get_columns("users")}
        assert not {"failed_logins", "locked_until"} & columns
        with plain.connect() as conn:
            user = conn.exec_driver_sql(
                "SELECT email, role, session_version FROM users WHERE id = 1"
            ).one()
            assert tuple(user) == ("a@b.fr", "reviewer", 4)
            assert conn.exec_driver_sql("SELECT failures FROM login_throttles").scalar_one() == 2
            assert conn.exec_driver_sql("SELECT count(*) FROM login_sessions").scalar_one() == 0
            conn.exec_driver_sql(
                "INSERT INTO login_sessions (token_digest, user_id, session_version, created_at,"
                " expires_at) VALUES ('d', 1, 4, '2021-01-10 09:00:00+00:00',"
                " '2021-01-11 09:00:00+00:00')"
            )
            conn.commit()
        command.downgrade(cfg, "0007")
        assert "login_sessions" not in inspect(plain).get_table_names()
        columns = {c["name"] for c in inspect(plain).get_columns("users")}
        assert {"failed_logins", "locked_until"} <= columns
        with plain.connect() as conn:
            assert conn.exec_driver_sql("SELECT email FROM users").scalar_one() == "a@b.fr"
    finally:
        plain.dispose()


def test_0009_makes_the_93_ami_unique_per_siret_and_territory(database_url):
    # A database built by 0008, with a CNFS draft and a 93 AMI draft on T8, upgraded to 0009.
    plain = create_engine(database_url)
    insert = (
        "INSERT INTO applications (id, call_id, owner_id, status, data, version, created_at,"
        " updated_at, siret{extra}) VALUES ({id}, '{call}', 1, 'draft', '{data}', 1,"
        " '2021-06-01 09:00:00+00:00', '2021-06-01 09:00:00+00:00', '20005478100006'{value})"
    )
    cd93 = "cd93-2021-numerique-inclusif"

    def row(app_id, call, territory, scope=None):
        data = json.dumps({"call_id": call, "project": {"territory": territory}})
        extra, value = ("", "") if scope is None else (", unique_scope", f", '{scope}'")
        return insert.format(id=app_id, call=call, data=data, extra=extra, value=value)

    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0008")
        with plain.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, name, password_hash, role,"
                " session_version, created_at) VALUES (1, 'a@b.fr', 'A', 'x', 'applicant', 1,"
                " '2021-06-01 09:00:00+00:00')"
            )
            conn.exec_driver_sql(row(1, "cnfs-2021-structures-privees", None))
            conn.exec_driver_sql(row(2, cd93, "T8"))
        command.upgrade(cfg, "0009")
        with plain.connect() as conn:
            scopes = dict(
                tuple(r) for r in conn.exec_driver_sql("SELECT id, unique_scope FROM applications")
            )
        assert scopes == {1: "", 2: "T8"}
        with plain.begin() as conn:  # the same SIRET on another territory: a second dossier
            conn.exec_driver_sql(row(3, cd93, "T6", "T6"))
        with pytest.raises(IntegrityError), plain.begin() as conn:
            conn.exec_driver_sql(row(4, cd93, "T8", "T8"))
        with pytest.raises(IntegrityError), plain.begin() as conn:  # CNFS: per SIRET still
            conn.exec_driver_sql(row(5, "cnfs-2021-structures-privees", None))
        with plain.begin() as conn:
            conn.exec_driver_sql("DELETE FROM applications WHERE id = 3")
        command.downgrade(cfg, "0008")
        columns = {c["name"] for c in inspect(plain).get_columns("applications")}
        assert "unique_scope" not in columns
    finally:
        plain.dispose()


def test_upgrade_to_0010_keeps_what_existing_reviewers_saw(database_url):
    """Reviewers of a 0009 database get every call shipped before the scope (the two CNFS
    calls), so they keep seeing their dossiers; other roles get no call; admins see all."""
    plain = create_engine(database_url)
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0009")
        with plain.begin() as conn:
            roles = ("reviewer", "applicant", "admin", "prefecture", "reviewer")
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, password_hash, role,"
                    " session_version, created_at) VALUES (:id, :email, 'U', 'x', :role, 1,"
                    " '2021-01-10 09:00:00+00:00')"
                ),
                [{"id": n, "email": f"u{n}@b.fr", "role": r} for n, r in enumerate(roles, 1)],
            )
            conn.exec_driver_sql(
                "INSERT INTO applications (id, call_id, owner_id, status, data, version,"
                " created_at, updated_at) VALUES (3, 'cnfs-2020-collectivites', 2, 'draft',"
                " '{}', 1, '2021-01-10 09:00:00+00:00', '2021-01-10 09:00:00+00:00')"
            )
        command.upgrade(cfg, "0010")
        with plain.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT user_id, call_id FROM user_calls ORDER BY user_id, call_id"
            ).all()
        calls = ["cnfs-2020-collectivites", "cnfs-2021-structures-privees"]
        assert [tuple(r) for r in rows] == [(1, c) for c in calls] + [(5, c) for c in calls]
        command.upgrade(cfg, "head")  # today's code reads today's schema
        with Session(plain) as session:
            from core.db import UserRow

            reviewer = User.from_row(session.get(UserRow, 1))
            assert [r.id for r in storage.list_applications(session=session, user=reviewer)] == [3]
        command.downgrade(cfg, "0009")
        assert "user_calls" not in inspect(plain).get_table_names()
    finally:
        plain.dispose()


def test_upgrade_to_0011_keeps_applications_and_stores_their_files(database_url):
    # A database built by 0010, with a user and a draft, upgraded to 0011: the draft is kept
    # and a file joined to it is read back byte for byte; downgrading drops only the table.
    plain = create_engine(database_url)
    content = b"%PDF-1.4\n" + bytes(range(256)) * 40
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0010")
        with plain.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, name, password_hash, role,"
                " session_version, created_at) VALUES (1, 'a@b.fr', 'A', 'x', 'applicant', 1,"
                " '2021-01-10 09:00:00+00:00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO applications (id, call_id, owner_id, status, data, version,"
                " created_at, updated_at, siret, subsidy_eur) VALUES (7,"
                " 'cnfs-2020-collectivites', 1, 'draft', '{}', 3, '2021-01-10 09:00:00+00:00',"
                " '2021-01-10 09:00:00+00:00', '21930066200018', 100000)"
            )
        command.upgrade(cfg, "0011")
        with plain.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO attachment_files (application_id, sha256, size, media_type,"
                    " filename, content, uploaded_by_id, uploaded_at) VALUES (7, :sha, :size,"
                    " 'application/pdf', 'lettre.pdf', :content, 1, '2021-01-11 09:00:00+00:00')"
                ),
                {"sha": "0" * 64, "size": len(content), "content": content},
            )
        with plain.connect() as conn:
            row = conn.exec_driver_sql("SELECT version, subsidy_eur FROM applications").one()
            stored = conn.exec_driver_sql("SELECT content FROM attachment_files").scalar_one()
        assert tuple(row) == (3, 100000)
        assert bytes(stored) == content
        with pytest.raises(sa.exc.IntegrityError), plain.begin() as conn:  # one row per file
            conn.execute(
                text(
                    "INSERT INTO attachment_files (application_id, sha256, size, media_type,"
                    " filename, content, uploaded_by_id, uploaded_at) VALUES (7, :sha, 1,"
                    " 'application/pdf', 'autre.pdf', :content, 1, '2021-01-11 09:00:00+00:00')"
                ),
                {"sha": "0" * 64, "content": b"x"},
            )
        command.downgrade(cfg, "0010")
        assert "attachment_files" not in inspect(plain).get_table_names()
        with plain.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM applications").scalar_one() == 1
    finally:
        plain.dispose()


def test_upgrade_to_0012_dates_submitted_applications_and_keeps_drafts_undated(database_url):
    # A database built by 0011 with a submitted dossier and a draft: after 0012 the dossier
    # carries its submission's date (the listing sorts on it), the draft none; the listing's
    # order is the same as before the upgrade.
    plain = create_engine(database_url)
    submitted = "2021-02-10 14:05:00+00:00"
    try:
        cfg = alembic_config(database_url)
        command.upgrade(cfg, "0011")
        with plain.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (id, email, name, password_hash, role,"
                " session_version, created_at) VALUES (1, 'a@b.fr', 'A', 'x', 'applicant', 1,"
                " '2021-01-10 09:00:00+00:00')"
            )
            conn.execute(
                text(
                    "INSERT INTO applications (id, call_id, owner_id, status, data, version,"
                    " created_at, updated_at) VALUES (:id, 'cnfs-2020-collectivites', 1, :status,"
                    " '{}', 2, '2021-01-10 09:00:00+00:00', '2021-01-10 09:00:00+00:00')"
                ),
                [{"id": 7, "status": "submitted"}, {"id": 8, "status": "draft"}],
            )
            conn.execute(
                text(
                    "INSERT INTO submissions (application_id, dossier_number, submitted_at, data,"
                    " verdict, call_version, commitments_version) VALUES (7, 'CNFS-2021-000007',"
                    " :at, '{}', '{}', 'v1', 'v1')"
                ),
                {"at": submitted},
            )
        command.upgrade(cfg, "0012")
        with Session(plain) as session:
            rows = session.execute(select(ApplicationRow.id, ApplicationRow.submitted_at))
            dated = {app_id: at for app_id, at in rows}
        assert dated == {7: dt.datetime(2021, 2, 10, 14, 5, tzinfo=dt.UTC), 8: None}
        indexes = {ix["name"] for ix in inspect(plain).get_indexes("applications")}
        assert "ix_applications_listing_filters" in indexes
        assert ("ix_applications_submitted_order" in indexes) == (plain.dialect.name != "sqlite")
        command.downgrade(cfg, "0011")
        columns = {c["name"] for c in inspect(plain).get_columns("applications")}
        assert "submitted_at" not in columns
    finally:
        plain.dispose()
