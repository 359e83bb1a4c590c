"""Login, lockout and the re-authentication cookie, checked against the database.

Closes three weaknesses of streamlit-authenticator 0.4.2 (issues #91, #195, #237 upstream):
- its cookie is a signed token naming the user, so a copy stays valid after logout and the key
  forges any: ours is a random id of a login kept on the server (login_sessions), ended on
  logout and password change; the session version is compared on every rerun;
- its failed-login counter lives in memory: ours is a table, shared by every instance, counted
  per address and source in one UPDATE before the password is checked (no race), with a pause
  that grows instead of a lock anyone could put on anyone's account;
- its cookie key defaults to "some_key": core.settings refuses default keys outside demo mode
  (the key now hashes the stored ids, so rows written without it open nothing).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import re
import secrets

from pydantic import BaseModel, ConfigDict
from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import clock, notifications
from core.accounts import (
    AccountError,
    hash_password,
    normalize_email,
    validate_password,
    verify_password,
)
from core.db import LoginSessionRow, LoginThrottleRow, UserRow
from core.storage import User

MAX_FAILED_LOGINS = 5  # password checks per address and source before a pause
FIRST_LOCKOUT = dt.timedelta(minutes=1)  # then doubling at each new round of failures
MAX_LOCKOUT = dt.timedelta(hours=1)
# A check reserved but never finished (its process died) frees its slot after this long.
STALE_RESERVATION = dt.timedelta(minutes=1)
UNKNOWN_SOURCE = "inconnue"
SESSION_TOKEN_BYTES = 32  # the cookie's random id: 256 bits, nothing else
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # what token_urlsafe(32) produces
# A source quiet (and not paused) for this long forgets its failures: its row is purged.
THROTTLE_MEMORY = dt.timedelta(days=1)

GENERIC_FAILURE = "Adresse électronique ou mot de passe incorrect."


@functools.cache
def _dummy_hash() -> str:
    # Checked when the address is unknown, so both failures take as long (no account probing).
    return hash_password("pas-un-vrai-mot-de-passe-0")


class LoginOutcome(BaseModel):
    """What a login attempt gives: a user, or a French message to show."""

    user: User | None = None
    message: str | None = None
    locked_until: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


def lockout_duration(rounds: int) -> dt.timedelta:
    """The pause after the n-th round (0-based) of failures from one source: 1 min, doubling."""
    return min(FIRST_LOCKOUT * 2 ** min(rounds, 20), MAX_LOCKOUT)


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60 + 0.49))
    return (
        "Trop de tentatives de connexion infructueuses depuis cet appareil : réessayez dans "
        f"{minutes} minute{'s' if minutes > 1 else ''}. En cas d'oubli du mot de passe, "
        "écrivez à l'ANCT depuis l'adresse du compte."
    )


def login_source(*, remote_ip: object, forwarded_for: object = None) -> str:
    """Where a login comes from: the last address a trusted proxy appended, else the socket's.

    Only the last X-Forwarded-For entry is the proxy's own; earlier ones are the client's word.
    """
    if isinstance(forwarded_for, str) and forwarded_for.strip():
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last[:64]
    return remote_ip[:64] if isinstance(remote_ip, str) and remote_ip else UNKNOWN_SOURCE


def _throttle_key(email: str, source: object) -> tuple[str, str]:
    # The source is what the server saw (st.context.ip_address); anything else counts as unknown.
    known = isinstance(source, str) and source.strip()
    return normalize_email(email)[:320], (source.strip() if known else UNKNOWN_SOURCE)[:64]


def _reserve_check(session: Session, email: str, source: str, now: dt.datetime) -> int | None:
    """Count one password check before it runs; None when this source must wait.

    One UPDATE … RETURNING, so concurrent attempts (threads, instances) each get their own
    count and never more than MAX_FAILED_LOGINS checks start per round.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginThrottleRow)
        .values(email=email, source=source, failures=0, rounds=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["email", "source"])
    )
    t = LoginThrottleRow
    count = session.execute(
        update(t)
        .where(
            t.email == email,
            t.source == source,
            or_(t.locked_until.is_(None), t.locked_until <= now),
            or_(t.failures < MAX_FAILED_LOGINS, t.updated_at <= now - STALE_RESERVATION),
        )
        .values(
            failures=case((t.failures >= MAX_FAILED_LOGINS, 1), else_=t.failures + 1),
            locked_until=None,
            updated_at=now,
        )
        .returning(t.failures)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    # Committed before the (slow) bcrypt check: no lock is held while it runs.
    session.commit()
    return count


def _waiting_outcome(session: Session, email: str, source: str, now: dt.datetime) -> LoginOutcome:
    row = session.execute(
        select(LoginThrottleRow.locked_until, LoginThrottleRow.rounds).where(
            LoginThrottleRow.email == email, LoginThrottleRow.source == source
        )
    ).one()
    # No date yet: the last allowed check of the round is still running elsewhere.
    until = row.locked_until or now + lockout_duration(row.rounds)
    return LoginOutcome(message=_locked_message(until, now), locked_until=until)


def attempt_login(
    *,
    session: Session,
    email: str,
    password: str,
    source: object = None,
    now: dt.datetime | None = None,
) -> LoginOutcome:
    """Check a password, counting checks per address and source (an IP) in the database.

    Known and unknown addresses get the same answers, in the same time. The attempt's count is
    committed before the check; the caller commits the rest.
    """
    now = now or clock.now()
    key_email, key_source = _throttle_key(email, source)
    count = _reserve_check(session, key_email, key_source, now)
    if count is None:
        # Not even checked: a paused source gets no answer about the password.
        return _waiting_outcome(session, key_email, key_source, now)
    row = session.execute(select(UserRow).where(UserRow.email == key_email)).scalar_one_or_none()
    valid = verify_password(password, row.password_hash if row else _dummy_hash())
    throttle = (LoginThrottleRow.email == key_email, LoginThrottleRow.source == key_source)
    if row is not None and valid:
        session.execute(
            update(LoginThrottleRow)
            .where(*throttle)
            .values(failures=0, rounds=0, locked_until=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        row.last_login_at = now
        session.flush()
        return LoginOutcome(user=User.from_row(row))
    if count < MAX_FAILED_LOGINS:
        return LoginOutcome(message=GENERIC_FAILURE)
    # The last check of the round failed: this source pauses, a little longer each round.
    rounds = session.execute(select(LoginThrottleRow.rounds).where(*throttle)).scalar_one()
    until = now + lockout_duration(rounds)
    session.execute(
        update(LoginThrottleRow)
        .where(*throttle)
        .values(failures=0, rounds=LoginThrottleRow.rounds + 1, locked_until=until)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    if row is not None:
        notifications.account_locked(
            User.from_row(row), session=session, until=until, source=key_source
        )
    return LoginOutcome(message=_locked_message(until, now), locked_until=until)


def session_version(*, session: Session, user_id: int) -> int | None:
    """The user's current session version (None when the account is gone)."""
    return session.execute(
        select(UserRow.session_version).where(UserRow.id == user_id)
    ).scalar_one_or_none()


def _digest(token: str, key: str) -> str:
    # Keyed: rows written by someone with database access but without the key open nothing.
    return hmac.new(key.encode("utf-8"), token.encode("ascii"), hashlib.sha256).hexdigest()


def open_session(
    *,
    session: Session,
    user: User,
    key: str,
    expiry_days: float,
    now: dt.datetime | None = None,
) -> tuple[str, SessionTicket]:
    """Record a login on the server; the random id for the cookie, and the tab's ticket.

    The id says nothing about the user or the session: only the login_sessions row does.
    """
    now = now or clock.now()
    version = session_version(session=session, user_id=user.id)
    if version is None:
        raise ValueError("compte introuvable")
    token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
    expires_at = now + dt.timedelta(days=expiry_days)
    session.add(
        LoginSessionRow(
            token_digest=_digest(token, key),
            user_id=user.id,
            session_version=version,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token, SessionTicket(user_id=user.id, version=version, expires_at=expires_at)


class SessionTicket(BaseModel):
    """What a browser tab holds of its login: who, which session version, valid until when."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    version: int
    expires_at: dt.datetime


def check_ticket(
    *, session: Session, ticket: SessionTicket, now: dt.datetime | None = None
) -> User | None:
    """The user if this tab's login is still valid at this moment: not expired, not revoked."""
    now = now or clock.now()
    if ticket.expires_at <= now:
        return None
    return check_session(session=session, user_id=ticket.user_id, version=ticket.version)


def ticket_from_cookie(*, session: Session, token: str | None, key: str) -> SessionTicket | None:
    """The login a cookie's id names, if the server has it (its date and version are checked
    by check_ticket)."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        return None
    row = session.execute(
        select(LoginSessionRow).where(LoginSessionRow.token_digest == _digest(token, key))
    ).scalar_one_or_none()
    if row is None:
        return None
    return SessionTicket(
        user_id=row.user_id, version=row.session_version, expires_at=row.expires_at
    )


def check_session(*, session: Session, user_id: int, version: int) -> User | None:
    """The user if this login (user id + session version) is still valid; run on every rerun."""
    current = User.current(session, user_id)
    if current is None or current[1] != version:
        return None
    return current[0]


def user_from_cookie(
    *, session: Session, token: str | None, key: str, now: dt.datetime | None = None
) -> tuple[User, int] | None:
    """The user and session version of a cookie, if the server knows it, in date and version."""
    ticket = ticket_from_cookie(session=session, token=token, key=key)
    if ticket is None:
        return None
    user = check_ticket(session=session, ticket=ticket, now=now)
    return (user, ticket.version) if user is not None else None


def end_all_sessions(*, session: Session, user_id: int) -> None:
    """Every login of this user ends: open tabs at their next run, cookies at once."""
    session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(session_version=UserRow.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(LoginSessionRow)
        .where(LoginSessionRow.user_id == user_id)
        .execution_options(synchronize_session=False)
    )


def purge_stale(*, session: Session, now: dt.datetime | None = None) -> tuple[int, int]:
    """Delete expired or revoked login sessions and throttles quiet for a day; (counts)."""
    now = now or clock.now()
    current = (
        select(UserRow.session_version)
        .where(UserRow.id == LoginSessionRow.user_id)
        .scalar_subquery()
    )
    sessions = session.execute(
        delete(LoginSessionRow)
        .where(or_(LoginSessionRow.expires_at <= now, LoginSessionRow.session_version != current))
        .execution_options(synchronize_session=False)
    ).rowcount
    t = LoginThrottleRow
    throttles = session.execute(
        delete(t)
        .where(
            t.updated_at <= now - THROTTLE_MEMORY,
            or_(t.locked_until.is_(None), t.locked_until <= now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return sessions, throttles


def logout(*, session: Session, user_id: int) -> None:
    """End every login of this user: all cookies issued so far stop working."""
    end_all_sessions(session=session, user_id=user_id)


def change_password(
    *, session: Session, user: User, current_password: str, new_password: str
) -> None:
    """Change a password after checking the current one; other logins are ended."""
    row = session.get(UserRow, user.id, populate_existing=True)
    if row is None or not verify_password(current_password, row.password_hash):
        raise AccountError("Mot de passe actuel incorrect.")
    validate_password(new_password)
    row.password_hash = hash_password(new_password)
    session.flush()
    end_all_sessions(session=session, user_id=user.id)
    session.expire(row)
