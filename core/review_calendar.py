"""The commission calendar: submitted applications and posts per monthly review date."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core import clock
from core.db import ApplicationRow, SubmissionRow
from core.formatting import PARIS
from core.review_access import calls_in_view, require_reviewer
from core.storage import User, read_conditions


def _review_boundaries(first: dt.date, last: dt.date, day: int) -> list[dt.date]:
    """Review dates from the one that examines `first` to the one after `last`."""
    from core.rules import review_date

    dates = [review_date(first, day)]
    end = review_date(last, day)
    while dates[-1] < end:
        dates.append(review_date(dates[-1], day))
    return dates


def _paris_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=PARIS).astimezone(dt.UTC)


def commission_calendar(
    *, session: Session, user: User, call_id: str | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """Submitted applications and posts per review date (the call's review day, each month).

    Submitted up to the day before the review day: that month's review; from it: next month's.
    The bucket is computed in SQL, one CASE over the call and the submission time, in one
    query for every call in view.
    """
    require_reviewer(user)
    today = today or clock.today()
    a, s = ApplicationRow, SubmissionRow
    calls = [c for c in calls_in_view(user, call_id) if c.review is not None]
    # A call without rolling monthly reviews (Département 93 AMI) has no calendar.
    totals: dict[dt.date, list[int]] = {}
    # The span of every submission (two reads of the index on submitted_at, no scan): it only
    # bounds the review dates tried; the counts come from the scope's rows alone.
    span = session.execute(select(func.min(s.submitted_at), func.max(s.submitted_at))).one()
    if calls and span[0] is not None:
        first = span[0].astimezone(PARIS).date()
        last = span[1].astimezone(PARIS).date()
        branches = []
        for call in calls:
            dates = _review_boundaries(first, last, call.review.day_of_month)
            # Review date D examines submissions before Paris midnight of D.
            by_date = case(
                *((s.submitted_at < _paris_midnight_utc(d), d.isoformat()) for d in dates),
                else_=dates[-1].isoformat(),
            )
            branches.append((a.call_id == call.id, by_date))
        bucket = case(*branches).label("review")
        # Group on the subquery's column: PostgreSQL will not match a repeated CASE whose
        # bound parameters are renumbered.
        inner = (
            select(bucket, a.posts_count.label("posts"))
            .select_from(s)
            .join(a, a.id == s.application_id)
            .where(a.call_id.in_([c.id for c in calls]), *read_conditions(user))
            .subquery()
        )
        rows = session.execute(
            select(
                inner.c.review, func.count(), func.coalesce(func.sum(inner.c.posts), 0)
            ).group_by(inner.c.review)
        ).all()
        for review, count, posts in rows:
            entry = totals.setdefault(dt.date.fromisoformat(review), [0, 0])
            entry[0] += int(count)
            entry[1] += int(posts)
    frame = pd.DataFrame(
        [
            {
                "Date d'examen": d,
                "Dossiers": n,
                "Postes demandés": p,
                "À venir": d >= today,
            }
            for d, (n, p) in sorted(totals.items())
        ],
        columns=["Date d'examen", "Dossiers", "Postes demandés", "À venir"],
    )
    return frame
