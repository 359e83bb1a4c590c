"""Hooks other modules call when something happens that the owner must hear about by mail.

Kept to the hooks themselves; what each mail says and records is in core.mail_events.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core import mail_events
from core.db import get_engine, session_scope


def account_locked(user: mail_events.Account, *, session: Session | None = None) -> int | None:
    """Tell the owner that logins to their account are blocked (called when it gets locked).

    In the caller's transaction when a session is given; otherwise in one of its own.
    """
    settings = mail_events.settings_or_env(None)
    if session is not None:
        return mail_events.lockout_notice(session, user, settings)
    with session_scope(get_engine(settings.database_url)) as own:
        return mail_events.lockout_notice(own, user, settings)
