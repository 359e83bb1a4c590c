"""Hooks for the mails the portal owes its users; the SMTP sender (issue 13, point 6) fills them.

Each hook is called at the moment the event happens, inside the request that caused it. Until
the mail sender is wired they do nothing, so no caller has to change when it is.
"""

from __future__ import annotations

import datetime as dt

from core.storage import User


def account_locked(user: User, *, until: dt.datetime, source: str) -> None:
    """Failed logins from one source locked this account there until `until`: tell its owner.

    The mail should say when, from where (source: an IP address or « inconnue »), that the
    owner can still log in from their usual device, and how to reset the password.
    """


def registration_for_existing_account(user: User) -> None:
    """Someone tried to create an account with this user's address: tell its owner.

    Registration answers the same whether the address has an account or not (no probing);
    this mail is how the real owner learns of it (« vous avez déjà un compte »).
    """
