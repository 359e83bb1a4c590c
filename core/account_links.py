"""Single-use links sent by mail: address confirmation and password reset.

The link carries a random token; the database keeps only its SHA-256, so a copy of the table
opens no account. Using a link is one UPDATE … WHERE used_at IS NULL: of two tabs (or two
instances) using the same link at once, exactly one succeeds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import auth, clock
from core.accounts import AccountError, hash_password, validate_password
from core.db import AccountTokenRow, UserRow
from core.storage import User

CONFIRMATION_VALIDITY = dt.timedelta(days=7)
RESET_VALIDITY = dt.timedelta(hours=1)
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")  # what token_urlsafe produces

INVALID_LINK = (
    "Ce lien n'est plus valable : il a déjà servi, il a expiré ou il est incomplet. "
    "Demandez-en un nouveau."
)


class Purpose(StrEnum):
    CONFIRM_EMAIL = "confirm_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose, not a secret)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def issue(
    *, session: Session, user_id: int, purpose: Purpose, now: dt.datetime | None = None
) -> tuple[str, dt.datetime]:
    """A new token for the user (the raw value goes in the link only) and its expiry."""
    now = now or clock.now()
    validity = CONFIRMATION_VALIDITY if purpose == Purpose.CONFIRM_EMAIL else RESET_VALIDITY
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        AccountTokenRow(
            user_id=user_id,
            purpose=purpose.value,
            token_sha256=_digest(token),
            created_at=now,
            expires_at=now + validity,
        )
    )
    session.flush()
    return token, now + validity


def _live(token: str | None, purpose: Purpose, now: dt.datetime):
    if not token or not _TOKEN_SHAPE.fullmatch(token):
        return None
    return (
        AccountTokenRow.token_sha256 == _digest(token),
        AccountTokenRow.purpose == purpose.value,
        AccountTokenRow.used_at.is_(None),
        AccountTokenRow.expires_at > now,
    )


def peek(
    *, session: Session, token: str | None, purpose: Purpose, now: dt.datetime | None = None
) -> User | None:
    """The account a still-valid token belongs to, without using it (to show the right form)."""
    conditions = _live(token, purpose, now or clock.now())
    if conditions is None:
        return None
    row = session.execute(
        select(UserRow)
        .join(AccountTokenRow, AccountTokenRow.user_id == UserRow.id)
        .where(*conditions)
    ).scalar_one_or_none()
    return User.from_row(row) if row else None


def _consume(session: Session, token: str | None, purpose: Purpose, now: dt.datetime) -> int | None:
    conditions = _live(token, purpose, now)
    if conditions is None:
        return None
    result = session.execute(
        update(AccountTokenRow)
        .where(*conditions)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    return session.execute(
        select(AccountTokenRow.user_id).where(AccountTokenRow.token_sha256 == _digest(token))
    ).scalar_one()


def is_confirmed(*, session: Session, user_id: int) -> bool:
    """Whether the account's address was confirmed by a link (or vouched for by an operator)."""
    return (
        session.execute(
            select(UserRow.email_confirmed_at).where(UserRow.id == user_id)
        ).scalar_one_or_none()
        is not None
    )


def mark_confirmed(*, session: Session, user_id: int, now: dt.datetime | None = None) -> None:
    """Record the address as confirmed (kept at its first date)."""
    session.execute(
        update(UserRow)
        .where(UserRow.id == user_id, UserRow.email_confirmed_at.is_(None))
        .values(email_confirmed_at=now or clock.now())
        .execution_options(synchronize_session=False)
    )


def confirm_email(
    *, session: Session, token: str | None, now: dt.datetime | None = None
) -> User | None:
    """Use a confirmation link: the account whose address it confirms, or None if invalid."""
    now = now or clock.now()
    user_id = _consume(session, token, Purpose.CONFIRM_EMAIL, now)
    if user_id is None:
        return None
    mark_confirmed(session=session, user_id=user_id, now=now)
    row = session.get(UserRow, user_id, populate_existing=True)
    return User.from_row(row)


def reset_password(
    *, session: Session, token: str | None, new_password: str, now: dt.datetime | None = None
) -> User:
    """Use a reset link: new password, every login of the account ended, other links revoked.

    The password is checked before the link is used, so a refused password keeps the link.
    """
    now = now or clock.now()
    validate_password(new_password)
    user_id = _consume(session, token, Purpose.RESET_PASSWORD, now)
    if user_id is None:
        raise AccountError(INVALID_LINK)
    session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(
            password_hash=hash_password(new_password),
        )
        .execution_options(synchronize_session=False)
    )
    auth.end_all_sessions(session=session, user_id=user_id)  # all cookies and open tabs end
    # Opening a link sent to the address proves it as well as a confirmation link.
    mark_confirmed(session=session, user_id=user_id, now=now)
    session.execute(
        update(AccountTokenRow)
        .where(
            AccountTokenRow.user_id == user_id,
            AccountTokenRow.purpose == Purpose.RESET_PASSWORD.value,
            AccountTokenRow.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return User.from_row(session.get(UserRow, user_id, populate_existing=True))
