"""Files produced at the moment of download, only after the tab's login is checked again.

Streamlit runs a download button's callable when it is clicked, in a thread of its own and
without a page run: the login gate of streamlit_app.py does not run then. So the callable
carries the tab's SessionTicket and checks it (version and expiry) against the database first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from core import auth, clock
from core.db import get_engine, session_scope
from core.storage import User

Producer = Callable[[Session, User], bytes]


class SessionEnded(PermissionError):
    """The login of the tab that asked for a file has ended: nothing is produced."""

    def __init__(self) -> None:
        super().__init__("Votre session a pris fin : reconnectez-vous pour télécharger ce fichier.")


def produce(
    *,
    session: Session,
    ticket: auth.SessionTicket,
    producer: Producer,
    now: dt.datetime | None = None,
) -> bytes:
    """The file's bytes for the user of a still-valid login; SessionEnded otherwise."""
    user = auth.check_ticket(session=session, ticket=ticket, now=now or clock.now())
    if user is None:
        raise SessionEnded
    # The producer receives the user as read now (role and scopes of this moment).
    return producer(session, user)


def deferred(
    *, database_url: str, ticket: auth.SessionTicket, producer: Producer
) -> Callable[[], bytes]:
    """A no-argument callable for st.download_button(data=...) that checks the login first."""

    def download() -> bytes:
        with session_scope(get_engine(database_url)) as session:
            return produce(session=session, ticket=ticket, producer=producer)

    return download
