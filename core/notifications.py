"""Hooks other modules call when something happens that the owner must hear about by mail.

Kept to the hooks themselves; what each mail says and records is in core.mail_events.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from core.db import get_engine, session_scope

if TYPE_CHECKING:
    from core.mail_events import Account


def account_locked(
    user: Account,
    *,
    session: Session | None = None,
    until: dt.datetime | None = None,
    source: str | None = None,
) -> int | None:
    """Failed logins from one source paused logins there until `until`: tell the owner.

    In the caller's transaction when a session is given; otherwise in one of its own.
    """
    from core import mail_events  # mail_events needs accounts, which calls these hooks

    settings = mail_events.settings_or_env(None)
    if session is not None:
        return mail_events.lockout_notice(session, user, settings, until=until, source=source)
    with session_scope(get_engine(settings.database_url)) as own:
        return mail_events.lockout_notice(own, user, settings, until=until, source=source)


def registration_for_existing_account(user: Account, *, session: Session) -> int | None:
    """Someone tried to create an account with this user's address: mail the owner, with a
    password-reset link, in the caller's transaction (at most one such mail an hour).

    The screen answers the same whether the address has an account or not (no probing), and a
    new account's confirmation mail is recorded the same way, so both take as long.
    """
    from core import mail_events

    return mail_events.registration_attempted(session, user)
