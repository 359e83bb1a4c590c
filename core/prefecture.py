"""Read-only queries of the prefect consultation: what a prefecture account sees of its
departments (listing, dashboard, sheet rows), and the ANCT's per-department follow-up.

Every function checks the user first; a prefecture account asking outside its departments gets
the same NotFound as for something that does not exist.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core import clock, opinions, review_listing, review_table
from core.calls import Call, get_call, load_calls
from core.db import ApplicationRow, OpinionRow, SubmissionRow
from core.formatting import NOT_ANSWERED, PARIS
from core.opinions import CurrentOpinion, OpinionChange
from core.storage import (
    ApplicationRecord,
    Forbidden,
    NotFound,
    Role,
    User,
    consulted_call_ids,
    get_application,
    read_conditions,
)

LATER_LIST = "later"  # applications submitted after the call's last dated list


class SheetNotFound(NotFound):
    """Unknown department, or not one of the prefecture's: the same answer."""

    def __init__(self, department: str) -> None:
        LookupError.__init__(self, f"Fiche introuvable pour le département « {department} ».")


def require_prefecture(user: User) -> None:
    if user.role != Role.PREFECTURE:
        raise Forbidden("Cette page est réservée aux services préfectoraux.")


def require_consultation_reader(user: User) -> None:
    """ANCT reviewers and admins (every department) or prefectures (their own)."""
    if user.role not in (Role.REVIEWER, Role.ADMIN, Role.PREFECTURE):
        raise Forbidden(
            "Cette page est réservée aux instructeurs de l'ANCT et aux services préfectoraux."
        )


def consulted_calls(call_id: str | None = None) -> list[Call]:
    """Calls with a prefect consultation (one, when call_id is given and consulted), whoever
    asks: callers filter rows with scope_conditions(user)."""
    if call_id is not None:
        if call_id not in consulted_call_ids():
            raise KeyError(f"Appel sans consultation des préfets : {call_id}")
        return [get_call(call_id)]
    return [c for c in load_calls().values() if c.prefect_consultation]


def scope_conditions(user: User) -> list[ColumnElement[bool]]:
    """SQL conditions restricting applications to what the user may see of the consultation:
    submitted ones of consulted calls, within the account's scope (calls or departments)."""
    a = ApplicationRow
    return [
        a.status == "submitted",
        a.call_id.in_(sorted(consulted_call_ids())),
        *read_conditions(user),
    ]


def check_department(user: User, department: str) -> None:
    """A prefecture may only ask for its own departments (SheetNotFound otherwise)."""
    require_consultation_reader(user)
    if user.role == Role.PREFECTURE and department not in user.departments:
        raise SheetNotFound(department)


# --- Listing ---------------------------------------------------------------------------------


def count_applications(
    *, session: Session, user: User, filters: review_listing.ReviewFilters
) -> int:
    """How many submitted applications of the prefecture's departments match the filters."""
    require_prefecture(user)
    query = (
        select(func.count())
        .select_from(ApplicationRow)
        .where(*review_listing.filter_conditions(filters, user), *scope_conditions(user))
    )
    return session.execute(query).scalar_one()


def list_applications(
    *,
    session: Session,
    user: User,
    filters: review_listing.ReviewFilters,
    offset: int = 0,
    limit: int | None = 50,
) -> pd.DataFrame:
    """The prefecture's listing (submitted applications of its departments), by name."""
    require_prefecture(user)
    a = ApplicationRow
    query = (
        review_listing.listing_query(filters, user)
        .where(*scope_conditions(user))
        .order_by(a.department, a.structure_name, a.id)
    )
    if limit is not None:
        query = query.offset(max(offset, 0)).limit(limit)
    return review_table.listing_frame(session.execute(query).all())


# --- Sheet rows ------------------------------------------------------------------------------


def sheet_rows(
    *, session: Session, user: User, department: str, call_id: str | None = None
) -> list[tuple[str, dict, str, int, tuple[str, int, str] | None]]:
    """(call id, snapshot, dossier number, application id, (opinion, count, comment) or None)
    of the department's submitted applications in consulted calls, by name."""
    check_department(user, department)
    a, s, o = ApplicationRow, SubmissionRow, OpinionRow
    calls = [c.id for c in consulted_calls(call_id)]
    query = (
        select(a.call_id, s.data, s.dossier_number, a.id, o.opinion, o.supported_count, o.comment)
        .join(s, s.application_id == a.id)
        .outerjoin(o, o.application_id == a.id)
        .where(a.department == department, a.call_id.in_(calls), *scope_conditions(user))
        .order_by(a.structure_name, a.id)
    )
    return [
        (r[0], r[1], r[2], r[3], (r[4], r[5], r[6]) if r[4] is not None else None)
        for r in session.execute(query).all()
    ]


# --- Follow-up: answered / to answer, per department and list ---------------------------------


def _paris_midnight_after(day: dt.date) -> dt.datetime:
    following = day + dt.timedelta(days=1)
    return dt.datetime.combine(following, dt.time(0, 0), tzinfo=PARIS).astimezone(dt.UTC)


@dataclasses.dataclass(frozen=True)
class Progress:
    """Opinions given and awaited, per department, call and list (French headers)."""

    by_list: pd.DataFrame  # Département, Appel, Liste, Avis attendus le, Dossiers, Avec avis…
    by_department: pd.DataFrame  # Département, Dossiers, Avec avis, Sans avis, En retard
    late_departments: list[str]  # "93 — Seine-Saint-Denis", late after a passed deadline

    @property
    def answered(self) -> int:
        return int(self.by_department["Avec avis"].sum()) if len(self.by_department) else 0

    @property
    def to_answer(self) -> int:
        return int(self.by_department["Sans avis"].sum()) if len(self.by_department) else 0


BY_LIST_COLUMNS = [
    "Département",
    "Appel",
    "Liste",
    "Avis attendus le",
    "Dossiers",
    "Avec avis",
    "Sans avis",
    "En retard",
]
BY_DEPARTMENT_COLUMNS = ["Département", "Dossiers", "Avec avis", "Sans avis", "Sans avis en retard"]


def _counts(session: Session, user: User, call: Call) -> list[Any]:
    a, s, o = ApplicationRow, SubmissionRow, OpinionRow
    lists = call.prefect_consultation.lists if call.prefect_consultation else []
    bucket = case(
        *((s.submitted_at < _paris_midnight_after(x.submitted_until), x.id) for x in lists),
        else_=LATER_LIST,
    ).label("list_id")
    answered = case((o.application_id.is_(None), 0), else_=1).label("answered")
    # Group on the subquery's columns (PostgreSQL will not match a repeated CASE).
    inner = (
        select(a.department.label("department"), bucket, answered)
        .select_from(a)
        .join(s, s.application_id == a.id)
        .outerjoin(o, o.application_id == a.id)
        .where(a.call_id == call.id, *scope_conditions(user))
        .subquery()
    )
    return session.execute(
        select(inner.c.department, inner.c.list_id, inner.c.answered, func.count()).group_by(
            inner.c.department, inner.c.list_id, inner.c.answered
        )
    ).all()


def progress(
    *, session: Session, user: User, call_id: str | None = None, today: dt.date | None = None
) -> Progress:
    """Answered / to answer per department and list; late: no opinion after the due date."""
    require_consultation_reader(user)
    today = today or clock.today()
    names = review_table.department_names()
    records: list[dict[str, Any]] = []
    for call in consulted_calls(call_id):
        lists = {x.id: x for x in call.prefect_consultation.lists}
        table: dict[tuple[str, str], list[int]] = {}
        for department, list_id, answered, count in _counts(session, user, call):
            entry = table.setdefault((department or "", list_id), [0, 0])
            entry[int(answered)] += int(count)
        for (department, list_id), (without, with_) in sorted(table.items()):
            item = lists.get(list_id)
            due = item.opinions_until if item else None
            records.append(
                {
                    "Département": _department_label(department, names),
                    "Appel": call.short_title,
                    "Liste": item.title if item else call.prefect_consultation.later_lists_note,
                    "Avis attendus le": due,
                    "Dossiers": without + with_,
                    "Avec avis": with_,
                    "Sans avis": without,
                    "En retard": without if due is not None and today > due else 0,
                }
            )
    by_list = pd.DataFrame(records, columns=BY_LIST_COLUMNS)
    if len(by_list):
        by_department = (
            by_list.groupby("Département", as_index=False)[
                ["Dossiers", "Avec avis", "Sans avis", "En retard"]
            ]
            .sum()
            .rename(columns={"En retard": "Sans avis en retard"})
        )
    else:
        by_department = pd.DataFrame(columns=BY_DEPARTMENT_COLUMNS)
    late = by_department[by_department["Sans avis en retard"] > 0]["Département"].tolist()
    return Progress(by_list=by_list, by_department=by_department, late_departments=late)


def _department_label(code: str, names: dict[str, str]) -> str:
    if not code:
        return NOT_ANSWERED
    return f"{code} — {names[code]}" if code in names else code


# --- Dossier ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConsultationDossier:
    """A submitted application as the consultation sees it: answers, opinion, history, list."""

    application: ApplicationRecord
    call: Call
    opinion: CurrentOpinion | None
    changes: list[OpinionChange]
    list_title: str
    deadline: dt.date | None
    open: bool


def consultation_dossier(
    *, session: Session, user: User, application_id: int, today: dt.date | None = None
) -> ConsultationDossier:
    """One submitted application of a consulted call, with its opinion; NotFound otherwise."""
    require_consultation_reader(user)
    current = opinions.get_opinion(session=session, user=user, application_id=application_id)
    record = get_application(session=session, user=user, application_id=application_id)
    call = get_call(record.call_id)
    submitted_at = record.submission.submitted_at if record.submission else clock.now()
    item = opinions.consultation_list(call, submitted_at)
    later = call.prefect_consultation.later_lists_note if call.prefect_consultation else ""
    return ConsultationDossier(
        application=record,
        call=call,
        opinion=current,
        changes=opinions.list_changes(session=session, user=user, application_id=application_id),
        list_title=item.title if item else later,
        deadline=item.opinions_until if item else None,
        open=opinions.is_open(call, submitted_at, today or clock.today()),
    )
