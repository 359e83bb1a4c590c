"""Login, lockout and the re-authentication cookie, checked against the database.

Closes three weaknesses of streamlit-authenticator 0.4.2 (issues #91, #195, #237 upstream):
- its cookie only names the user, so a copy stays valid after logout: ours carries the user's
  session version, bumped on logout and password change and compared on every rerun;
- its failed-login counter lives in memory: ours is a column, shared by every instance;
- its cookie key defaults to "some_key": core.settings refuses default keys outside demo mode.
"""

from __future__ import annotations

import datetime as dt
import functools

import jwt
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock, notifications
from core.accounts import (
    AccountError,
    hash_password,
    normalize_email,
    validate_password,
    verify_password,
)
from core.db import UserRow
from core.storage import User

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MAX_LOCKOUT = dt.timedelta(hours=24)
TOKEN_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name, not a secret)

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


def lockout_duration(failed_logins: int) -> dt.timedelta | None:
    """How long to lock after this many consecutive failures: 15 min, then doubling, max 24 h."""
    if failed_logins < MAX_FAILED_LOGINS or failed_logins % MAX_FAILED_LOGINS:
        return None
    rounds = failed_logins // MAX_FAILED_LOGINS
    return min(LOCKOUT * 2 ** (rounds - 1), MAX_LOCKOUT)


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60 + 0.49))
    return (
        "Trop de tentatives de connexion infructueuses : ce compte est bloqué pendant encore "
        f"{minutes} minute{'s' if minutes > 1 else ''}. Réessayez plus tard ; en cas d'oubli du "
        "mot de passe, écrivez à l'ANCT depuis l'adresse du compte."
    )


def attempt_login(
    *, session: Session, email: str, password: str, now: dt.datetime | None = None
) -> LoginOutcome:
    """Check a password, counting failures in the database; the caller commits the session."""
    now = now or clock.now()
    row = session.execute(
        select(UserRow).where(UserRow.email == normalize_email(email))
    ).scalar_one_or_none()
    if row is None:
        verify_password(password, _dummy_hash())
        return LoginOutcome(message=GENERIC_FAILURE)
    if row.locked_until is not None and row.locked_until > now:
        # Not even checked: a locked account gives no answer about its password.
        return LoginOutcome(
            message=_locked_message(row.locked_until, now), locked_until=row.locked_until
        )
    if not verify_password(password, row.password_hash):
        # Incremented in SQL so concurrent attempts from several instances all count.
        session.execute(
            update(UserRow)
            .where(UserRow.id == row.id)
            .values(failed_logins=UserRow.failed_logins + 1)
            .execution_options(synchronize_session=False)
        )
        session.refresh(row)
        duration = lockout_duration(row.failed_logins)
        if duration is None:
            return LoginOutcome(message=GENERIC_FAILURE)
        row.locked_until = now + duration
        session.flush()
        notifications.account_locked(User.from_row(row), session=session)
        return LoginOutcome(
            message=_locked_message(row.locked_until, now), locked_until=row.locked_until
        )
    row.failed_logins = 0
    row.locked_until = None
    row.last_login_at = now
    session.flush()
    return LoginOutcome(user=User.from_row(row))


def session_version(*, session: Session, user_id: int) -> int | None:
    """The user's current session version (None when the account is gone)."""
    return session.execute(
        select(UserRow.session_version).where(UserRow.id == user_id)
    ).scalar_one_or_none()


def issue_token(
    *,
    session: Session,
    user: User,
    key: str,
    expiry_days: float,
    now: dt.datetime | None = None,
) -> str:
    """A signed cookie value naming the user and their current session version."""
    now = now or clock.now()
    version = session_version(session=session, user_id=user.id)
    payload = {
        "sub": str(user.id),
        "sv": version,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(days=expiry_days)).timestamp()),
    }
    return jwt.encode(payload, key, algorithm=TOKEN_ALGORITHM)


def check_session(*, session: Session, user_id: int, version: int) -> User | None:
    """The user if this login (user id + session version) is still valid; run on every rerun."""
    row = session.get(UserRow, user_id, populate_existing=True)
    if row is None or row.session_version != version:
        return None
    return User.from_row(row)


def user_from_token(
    *, session: Session, token: str | None, key: str, now: dt.datetime | None = None
) -> tuple[User, int] | None:
    """The user and session version of a cookie, if its signature, date and version hold."""
    if not token:
        return None
    now = now or clock.now()
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["sub", "sv", "exp"], "verify_exp": False},
        )
        user_id, version, expires = int(payload["sub"]), int(payload["sv"]), int(payload["exp"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if expires <= now.timestamp():
        return None
    user = check_session(session=session, user_id=user_id, version=version)
    return (user, version) if user is not None else None


def logout(*, session: Session, user_id: int) -> None:
    """End every login of this user: all cookies issued so far stop working."""
    session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(session_version=UserRow.session_version + 1)
        .execution_options(synchronize_session=False)
    )


def change_password(
    *, session: Session, user: User, current_password: str, new_password: str
) -> None:
    """Change a password after checking the current one; other logins are ended."""
    row = session.get(UserRow, user.id, populate_existing=True)
    if row is None or not verify_password(current_password, row.password_hash):
        raise AccountError("Mot de passe actuel incorrect.")
    validate_password(new_password)
    row.password_hash = hash_password(new_password)
    row.session_version += 1
    session.flush()
