"""Tables, engine and sessions. SQLite by default, PostgreSQL with the same code path."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

if TYPE_CHECKING:  # alembic (~1 s to import) is loaded by the first migration, not by a page
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Any constant will do: it only has to be the same for every instance of the app.
_PG_MIGRATION_LOCK = 7_350_414


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on both databases (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use core.clock.now()")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    # Named constraints: later migrations (SQLite batch mode included) can refer to them.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    # Bumped on logout and password change; every login session records the version it was
    # opened under, so older sessions (cookies and open tabs) stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when the owner followed a link sent to the address; applicants submit only then.
    email_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # Prefecture accounts only: the departments whose applications they see.
    # Loaded when read (User.from_row reads only the scope of the account's role): a user row
    # joined to each application it owns costs no query for them.
    department_rows: Mapped[list[UserDepartmentRow]] = relationship(
        lazy="select", cascade="all, delete-orphan"
    )
    # Reviewer accounts only: the calls whose applications they read (admins read every call).
    call_rows: Mapped[list[UserCallRow]] = relationship(lazy="select", cascade="all, delete-orphan")


class UserCallRow(Base):
    __tablename__ = "user_calls"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # A call id as written by the operator: it may name a call not loaded (yet) here.
    call_id: Mapped[str] = mapped_column(String(100), primary_key=True)


class UserDepartmentRow(Base):
    __tablename__ = "user_departments"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    department: Mapped[str] = mapped_column(String(10), primary_key=True)


# The reviewer listing's filters (core.review_listing), in one index.
LISTING_FILTER_COLUMNS = (
    "call_id",
    "status",
    "verdict_status",
    "department",
    "structure_type",
    "qpv",
    "france_services",
    "coordinator_count",
)


class ApplicationRow(Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One application per SIRET per call, whoever holds it (NULL SIRETs do not collide);
        # per SIRET and territory where the call says so (unique_scope, "" otherwise).
        UniqueConstraint(
            "call_id", "siret", "unique_scope", name="uq_applications_call_siret_scope"
        ),
        Index("ix_applications_call_status", "call_id", "status"),
        Index("ix_applications_call_department", "call_id", "department"),
        Index("ix_applications_call_verdict", "call_id", "verdict_status"),
        Index("ix_applications_call_structure_type", "call_id", "structure_type"),
        # The listing's count reads this index alone (index-only scan), not the rows with their
        # answers: 2 ms instead of 25 on 35,000 dossiers (issue 15).
        Index(
            "ix_applications_listing_filters",
            *LISTING_FILTER_COLUMNS,
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # Its first page in the default order walks this index and stops after 50 rows: 1 ms
        # instead of 73. PostgreSQL only: SQLite has no NULLS LAST in an index.
        Index(
            "ix_applications_submitted_order",
            text("submitted_at DESC NULLS LAST"),
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    data: Mapped[dict] = mapped_column(JSON)
    verdict_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Copies of answers kept in columns so reviewer pages filter in SQL, not in Python.
    siret: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    structure_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    structure_type: Mapped[str | None] = mapped_column(String(60), nullable=True)
    department: Mapped[str | None] = mapped_column(String(10), nullable=True)
    posts_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    coordinator_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    france_services: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    qpv: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The verdict's subsidy (frozen at submission; a draft's as of its last save): totals read
    # it, so overseas rules, ceilings and budget models are counted once, by the rules.
    subsidy_eur: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The answer that, with the SIRET, is unique in the call (core.storage.unique_scope).
    unique_scope: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # A draft its owner deleted: hidden everywhere, restorable for a while, then purged.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Copied from the submission when it is made (NULL for a draft): the listing sorts and pages
    # on this table alone, and joins the submission for the rows it shows.
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner: Mapped[UserRow] = relationship(lazy="joined", innerjoin=True)
    submission: Mapped[SubmissionRow | None] = relationship(
        back_populates="application", lazy="joined", uselist=False
    )


class SubmissionRow(Base):
    """The frozen copy of an application at submission; never updated except its PDF hash."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    dossier_number: Mapped[str] = mapped_column(String(40), unique=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    data: Mapped[dict] = mapped_column(JSON)
    verdict: Mapped[dict] = mapped_column(JSON)
    call_version: Mapped[str] = mapped_column(String(60))
    commitments_version: Mapped[str] = mapped_column(String(60))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    application: Mapped[ApplicationRow] = relationship(back_populates="submission")


class AttachmentFileRow(Base):
    """The content of a file joined to an application; the answers hold an AttachmentRef.

    One row per (application, SHA-256): the ref names its content by fingerprint. A draft's
    replaced or removed files are deleted; a submitted application's are never touched.
    """

    __tablename__ = "attachment_files"
    __table_args__ = (
        UniqueConstraint("application_id", "sha256", name="uq_attachment_files_application_sha"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(500))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[UserRow | None] = relationship(lazy="joined")


class LoginThrottleRow(Base):
    """Failed logins per address and per source (IP): one source cannot lock out the others.

    Keyed by the typed address, known or not, so an unknown address answers like a known one.
    """

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("email", "source", name="uq_login_throttles_email_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320))  # normalised as accounts store it
    source: Mapped[str] = mapped_column(String(64))
    # Password checks started in this round (counted before the check, in one UPDATE).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rounds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # locks so far
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LoginSessionRow(Base):
    """A login kept on the server: the browser's cookie holds only a random id, stored here
    as its HMAC under the cookie key (a copy of the table opens no session)."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_version: Mapped[int] = mapped_column(Integer)  # the user's, when it was opened
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class AccountTokenRow(Base):
    """A single-use link sent by mail (address confirmation, password reset), stored hashed."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "confirm_email" | "reset_password"
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxRow(Base):
    """A mail recorded with the event that causes it, then sent (and retried) from here."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("applications.id"), nullable=True, index=True
    )
    recipients: Mapped[list] = mapped_column(JSON)
    message_id: Mapped[str] = mapped_column(String(200))  # same Message-ID on every attempt
    subject: Mapped[str] = mapped_column(String(300))
    # Body, link and attachment are erased once sent: the table keeps no live token or PDF copy.
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    action_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    attachment_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | sent | expired
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class OpinionRow(Base):
    """The prefecture's current opinion on a submitted application (one per application)."""

    __tablename__ = "opinions"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    opinion: Mapped[str] = mapped_column(String(20), index=True)
    supported_count: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Bumped on every change; the UPDATE's WHERE on it is the lock between two writers.
    version: Mapped[int] = mapped_column(Integer, default=1)


class OpinionChangeRow(Base):
    """Append-only history of opinions: never updated, never deleted."""

    __tablename__ = "opinion_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(10))  # "screen" or "file"
    file_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    file_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    old_opinion: Mapped[str | None] = mapped_column(String(20), nullable=True)
    old_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    old_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_opinion: Mapped[str] = mapped_column(String(20))
    new_count: Mapped[int] = mapped_column(Integer)
    new_comment: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[UserRow] = relationship(lazy="joined")


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration built in code, so migrations run from the installed package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration (a no-op when already there)."""
    from alembic import command

    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two app instances starting together must not both create the tables.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, much faster commits
    cursor.close()


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=10,
            max_overflow=40,
            pool_timeout=60,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url)
        event.listen(engine.pool, "checkin", _note_checkin)
        event.listen(engine.pool, "checkout", _ping_if_idle)
    return engine


# A connection back in use within this many seconds is trusted as is: pinging on every
# checkout (pool_pre_ping) cost one round trip per page run under load. One that waited longer
# may have been dropped by a database restart or a firewall, and is pinged first.
IDLE_PING_S = 30.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_S:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:
        # The pool then discards this connection and checks out another (SQLAlchemy's
        # pessimistic disconnect handling).
        raise DisconnectionError(str(exc)) from exc


def get_engine(url: str | None = None) -> Engine:
    """The engine for a URL (default: settings), created once and migrated to head."""
    if url is None:
        from core.settings import get_settings

        url = get_settings().database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            try:
                upgrade(engine)
            except Exception:
                engine.dispose()
                raise
            _engines[url] = engine
    return engine


def dispose_engine(url: str) -> None:
    """Close an engine's connections and forget it (tests, shutdown)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
