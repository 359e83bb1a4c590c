"""Reviewer figures kept between reruns, per reading scope and data version.

A rerun in which nothing changed reads one fingerprint (core.review_dashboard.data_version)
instead of every application. The key holds the reader's scope (core.storage.read_scope):
two accounts share an entry only when they read the same rows. It holds the fingerprint,
never a timer: a submission or an opinion shows on the next rerun. The fingerprint is read
first, so an entry is never older than its key. Who asks is checked on every rerun
(data_version refuses a non-reviewer) before any entry is looked up.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st
from sqlalchemy.orm import Session

from core import clock, prefecture, review_dashboard
from core.storage import User, read_scope

MAX_ENTRIES = 64  # scopes × calls × data versions; an old version is never asked again


def figures(
    *, session: Session, user: User, call_id: str | None, consultation: bool
) -> tuple[review_dashboard.Dashboard, prefecture.Progress | None]:
    """review_dashboard.dashboard and, when asked, prefecture.progress (opinions given and awaited),
    each computed again only when the data or the day changed; the fingerprint is read once."""
    key, today = _key(session, user), clock.today()
    board = _figures("dashboard", *key, call_id, today, session, user)
    if not consultation:
        return board, None
    return board, _figures("consultation", *key, call_id, today, session, user)


def _key(session: Session, user: User) -> tuple[str, tuple[str, tuple[str, ...]], tuple]:
    """Database, scope and data version; the version is read now, for this user."""
    version = review_dashboard.data_version(session=session, user=user)
    database = session.get_bind().url.render_as_string(hide_password=True)
    return database, read_scope(user), version


# The arguments after the key are not hashed (leading underscore): the scope stands for the
# user, and the session is only the way to the data.
@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _figures(
    what: str,
    database: str,
    scope: tuple[str, tuple[str, ...]],
    version: tuple,
    call_id: str | None,
    today: dt.date,
    _session: Session,
    _user: User,
) -> review_dashboard.Dashboard | prefecture.Progress:
    compute = review_dashboard.dashboard if what == "dashboard" else prefecture.progress
    return compute(session=_session, user=_user, call_id=call_id, today=today)
