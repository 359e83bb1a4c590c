"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when configured),
users of every role, and a complete valid application."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core import accounts, auth
from core.db import dispose_engine, get_engine
from core.models import Application, Contact, Posts, Structure
from core.storage import Role, User
from tests.builders import CNFS_CALLS, application
from tests.databases import fresh_postgres_database

POSTGRES_URL = os.environ.get("CNFS_TEST_POSTGRES_URL")
WAVE1 = "cnfs-2020-collectivites"
# Commune de Saint-Denis (93066): SIREN 219300662, valid Luhn key (python-stdnum).
SAINT_DENIS_SIRET = "21930066200018"
OTHER_93_SIRETS = ("21930001900011", "21930008400015", "21930048000015")
TEST_PASSWORD = "mot-de-passe-2021"

_backends = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    _backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))


def login_ticket(user: User, version: int = 1) -> auth.SessionTicket:
    """What a logged-in tab holds (new accounts start at session version 1), valid for a day."""
    return auth.SessionTicket(
        user_id=user.id, version=version, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    )


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    # Cost 4 instead of 12: same algorithm, tests stay fast.
    monkeypatch.setattr(accounts, "BCRYPT_ROUNDS", 4)


@pytest.fixture(autouse=True)
def _whole_step_reruns(monkeypatch: pytest.MonkeyPatch) -> None:
    # AppTest keeps only the last run's elements: a rerun of one question's fragment would
    # leave the page tests a page of one question. The servers of tests/e2e keep them.
    from pages import step_form

    monkeypatch.setattr(step_form, "PARTIAL_RERUNS", False)


@pytest.fixture(params=_backends)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """URL of an empty database (not migrated yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}"
    else:
        yield from fresh_postgres_database(POSTGRES_URL)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database on each backend; disposed after the test."""
    yield get_engine(database_url)
    dispose_engine(database_url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _user(session: Session, email: str, name: str, role: Role, calls: str | None = None) -> User:
    user = accounts.create_user(
        session=session,
        email=email,
        name=name,
        password=TEST_PASSWORD,
        role=role,
        email_confirmed=True,  # accounts of the fixtures are confirmed; tests/test_mail.py not
        calls=calls,
    )
    session.commit()  # visible to other sessions and threads
    return user


@pytest.fixture
def applicant(session: Session) -> User:
    return _user(session, "secretariat@mairie-saint-denis.fr", "Secrétariat", Role.APPLICANT)


@pytest.fixture
def other_applicant(session: Session) -> User:
    return _user(session, "accueil@mairie-bobigny.fr", "Accueil Bobigny", Role.APPLICANT)


@pytest.fixture
def reviewer(session: Session) -> User:
    # An ANCT reviewer: both CNFS calls.
    return _user(session, "instructeur@anct.gouv.fr", "Instructeur ANCT", Role.REVIEWER, CNFS_CALLS)


@pytest.fixture
def admin(session: Session) -> User:
    return _user(session, "admin@anct.gouv.fr", "Administrateur", Role.ADMIN)


def _complete_application() -> Application:
    return application(
        WAVE1,
        **{
            "structure.siret": SAINT_DENIS_SIRET,
            "structure.name": "Commune de Saint-Denis",
            "structure.commune": "Saint-Denis",
            "structure.address": "2 place Victor Hugo, 93200 Saint-Denis",
            "contact.name": "Camille Martin",
            "contact.email": "secretariat@mairie-saint-denis.fr",
            "contact.phone": "01 49 33 60 00",
            "posts.places_of_activity": "Médiathèque centrale et maison de quartier Franc-Moisin",
        },
    )


_SECTIONS = {"structure": Structure, "contact": Contact, "posts": Posts}


@pytest.fixture
def make_application() -> Callable[..., Application]:
    """Build a complete valid wave-1 application; override any answer by field name.

    `make_application(structure_type="ccas", count=3)` or, for names shared by several sections,
    `make_application(contact__name="…")`. Top-level fields (call_id, commitments) work too.
    """

    def build(**overrides: object) -> Application:
        app = _complete_application()
        sections = {name: getattr(app, name).model_dump() for name in _SECTIONS}
        top: dict[str, object] = {}
        for key, value in overrides.items():
            if "__" in key:
                section, field = key.split("__", 1)
                sections[section][field] = value
            elif key in Application.model_fields and key not in _SECTIONS:
                top[key] = value
            elif key in _SECTIONS:
                sections[key] = value.model_dump() if hasattr(value, "model_dump") else value
            else:
                section = next((s for s, m in _SECTIONS.items() if key in m.model_fields), None)
                if section is None:
                    raise KeyError(f"make_application: unknown field {key!r}")
                sections[section][key] = value
        return Application.model_validate(
            {"call_id": app.call_id, "commitments": app.commitments, **sections, **top}
        )

    return build


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tmp_path):
    """Environment for AppTest runs: the test database, a strong cookie key, not demo mode."""
    monkeypatch.setenv("CNFS_DATABASE_URL", database_url)
    monkeypatch.setenv("CNFS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CNFS_DEMO", "0")
    monkeypatch.setenv("CNFS_COOKIE_KEY", secrets.token_urlsafe(48))
    return database_url
