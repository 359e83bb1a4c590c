"""Every file is produced at click time, only for a login still valid at that moment."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from core import auth, downloads
from core.db import session_scope
from tests.conftest import TEST_PASSWORD

KEY = secrets.token_urlsafe(48)


def _ticket(session, user, *, days: float = 1.0) -> auth.SessionTicket:
    _, ticket = auth.open_session(session=session, user=user, key=KEY, expiry_days=days)
    return ticket


def _file(session, user) -> bytes:
    return f"liste pour {user.email}".encode()


def test_a_valid_login_gets_its_file_produced_for_the_user_read_now(session, reviewer):
    ticket = _ticket(session, reviewer)
    content = downloads.produce(session=session, ticket=ticket, producer=_file)
    assert content == f"liste pour {reviewer.email}".encode()


def test_logout_elsewhere_means_no_file(session, reviewer):
    ticket = _ticket(session, reviewer)
    auth.logout(session=session, user_id=reviewer.id)  # the other browser's « Se déconnecter »
    session.commit()
    produced = []
    with pytest.raises(downloads.SessionEnded, match="reconnectez-vous"):
        downloads.produce(
            session=session, ticket=ticket, producer=lambda s, u: produced.append(u) or b"x"
        )
    assert produced == []  # the producer never ran


def test_password_change_elsewhere_means_no_file(session, applicant):
    ticket = _ticket(session, applicant)
    auth.change_password(
        session=session,
        user=applicant,
        current_password=TEST_PASSWORD,
        new_password="nouveau-mot-de-passe-42",
    )
    session.commit()
    with pytest.raises(downloads.SessionEnded):
        downloads.produce(session=session, ticket=ticket, producer=_file)


def test_an_expired_login_gets_no_file(session, reviewer):
    ticket = _ticket(session, reviewer, days=1)
    later = ticket.expires_at + dt.timedelta(seconds=1)
    with pytest.raises(downloads.SessionEnded):
        downloads.produce(session=session, ticket=ticket, producer=_file, now=later)


def test_the_deferred_callable_checks_the_database_when_called(database_url, engine, reviewer):
    with session_scope(engine) as session:
        ticket = _ticket(session, reviewer)
    download = downloads.deferred(database_url=database_url, ticket=ticket, producer=_file)
    assert download().startswith(b"liste pour ")  # registered while valid: works
    with session_scope(engine) as session:
        auth.logout(session=session, user_id=reviewer.id)
    with pytest.raises(downloads.SessionEnded):
        download()  # the same button, clicked after the logout


def test_no_page_offers_a_file_without_the_click_time_check():
    # Every download goes through pages.components.download_button (core.downloads).
    from pathlib import Path

    pages = Path(__file__).resolve().parents[1] / "pages"
    direct = [p.name for p in pages.glob("*.py") if "st.download_button(" in p.read_text()]
    assert direct == ["components.py"]
