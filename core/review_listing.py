"""The reviewer listing's queries: filters turned into SQL conditions, counted, sorted and
paged in the database, on the columns storage copies out of the answers (tens of thousands of
rows stay fast), within the account's scope (storage.read_conditions)."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.db import ApplicationRow, OpinionRow, SubmissionRow
from core.identifiers import compact_siret, is_ascii_digits
from core.models import clean_text
from core.reference import departments
from core.review_access import require_reviewer
from core.review_table import listing_frame
from core.storage import User, consulted_call_ids, read_conditions

PAGE_SIZES = (25, 50, 100, 200)

SortKey = Literal["submitted_at", "structure_name", "department", "posts_count", "id"]
SORT_LABELS_FR: dict[str, str] = {
    "submitted_at": "Date de dépôt",
    "structure_name": "Nom de la structure",
    "department": "Département",
    "posts_count": "Postes demandés",
    "id": "N° de candidature",
}


@dataclasses.dataclass(frozen=True)
class ReviewFilters:
    """What the reviewer filters on; empty tuples and None mean « tous »."""

    call_id: str | None = None
    departments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "draft", "submitted"
    verdicts: tuple[str, ...] = ()  # Status values, or "" for never evaluated
    structure_types: tuple[str, ...] = ()
    coordinator: bool | None = None
    france_services: bool | None = None
    qpv: bool | None = None
    search: str = ""
    opinions: tuple[str, ...] = ()  # core.opinions.Opinion values, or "" for « sans avis »


def departments_of_regions(names: Sequence[str]) -> list[str]:
    wanted = set(names)
    return [d.code for d in departments() if d.region in wanted]


def filter_conditions(filters: ReviewFilters, user: User) -> list[ColumnElement[bool]]:
    a = ApplicationRow
    # Deleted drafts are gone; outside the account's scope is as if absent.
    where: list[ColumnElement[bool]] = [a.deleted_at.is_(None), *read_conditions(user)]
    if filters.call_id:
        where.append(a.call_id == filters.call_id)
    codes = set(filters.departments)
    if filters.regions:
        in_regions = set(departments_of_regions(filters.regions))
        codes = codes & in_regions if codes else in_regions
        if not codes:
            codes = {"__none__"}  # regions and departments that do not meet
    if codes:
        where.append(a.department.in_(sorted(codes)))
    if filters.statuses:
        where.append(a.status.in_(filters.statuses))
    if filters.verdicts:
        known = [v for v in filters.verdicts if v]
        clauses = [a.verdict_status.in_(known)] if known else []
        if "" in filters.verdicts:
            clauses.append(a.verdict_status.is_(None))
        where.append(or_(*clauses))
    if filters.structure_types:
        where.append(a.structure_type.in_(filters.structure_types))
    if filters.coordinator is not None:
        where.append(a.coordinator_count > 0 if filters.coordinator else a.coordinator_count == 0)
    if filters.france_services is not None:
        where.append(a.france_services.is_(filters.france_services))
    if filters.qpv is not None:
        where.append(a.qpv.is_(filters.qpv))
    if filters.opinions:
        where.append(_opinion_condition(filters.opinions))
    # NUL and other unprintable characters cannot reach PostgreSQL (a database error) and
    # are never in a stored name anyway (core.models.clean_text strips them on save).
    term = str(clean_text(filters.search)).strip()
    if term:
        digits = compact_siret(term)
        if len(digits) >= 3 and is_ascii_digits(digits):
            # Digits only: a SIRET (or SIREN) prefix, served by the index on siret.
            where.append(a.siret.startswith(digits, autoescape=True))
        else:
            where.append(a.structure_name.regexp_match(search_pattern(term)))
    return where


def _opinion_condition(wanted: Sequence[str]) -> ColumnElement[bool]:
    """Applications whose prefect opinion is one of these ("" for submitted ones without an
    opinion yet), in SQL."""
    from sqlalchemy.orm import aliased

    # An alias: the listing itself joins the opinions table, which would swallow the subquery.
    a, o = ApplicationRow, aliased(OpinionRow)
    known = [v for v in wanted if v]
    given = select(o.application_id).where(o.application_id == a.id).correlate(a)
    clauses = []
    if known:
        clauses.append(given.where(o.opinion.in_(known)).exists())
    if "" in wanted:
        # « Sans avis »: submitted to a call the prefects give an opinion on, and awaiting one
        # (drafts, and calls such as the Département's, are never sent to them).
        clauses.append(
            and_(
                a.status == "submitted",
                a.call_id.in_(sorted(consulted_call_ids())),
                ~given.exists(),
            )
        )
    return or_(*clauses)


# Letters a French name may carry with or without accent; the search ignores both accents and
# case (SQLite's LIKE folds ASCII only, so « étienne » would miss « Saint-Étienne »).
_ACCENTED = {
    "a": "aàâä",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîï",
    "o": "oôö",
    "u": "uùûü",
    "y": "yÿ",
}
_SEPARATORS = {" ", "-", "'", "’"}


def search_pattern(term: str) -> str:
    """A regular expression matching the term whatever its accents, hyphens and apostrophes."""
    base = unicodedata.normalize("NFKD", term.strip().lower())
    base = "".join(ch for ch in base if not unicodedata.combining(ch))
    base = base.replace("œ", "oe").replace("æ", "ae")
    parts = []
    for ch in base:
        if ch in _SEPARATORS:
            parts.append("[-\\s'’]")
        elif ch in _ACCENTED:
            parts.append(f"[{_ACCENTED[ch]}]")
        else:
            parts.append(re.escape(ch))
    # « oe » also matches the ligature « œ » of « cœur ».
    # (?i) up front is understood by both Python's re (SQLite) and PostgreSQL.
    return "(?i)" + "".join(parts).replace("[oôö][eéèêë]", "(?:[oôö][eéèêë]|œ)")


def listing_query(filters: ReviewFilters, user: User) -> Select[Any]:
    a, s = ApplicationRow, SubmissionRow
    return (
        select(
            a.id,
            s.dossier_number,
            s.submitted_at,
            a.call_id,
            a.siret,
            a.structure_name,
            a.structure_type,
            a.department,
            a.status,
            a.verdict_status,
            a.posts_count,
            a.coordinator_count,
            a.france_services,
            a.qpv,
            a.subsidy_eur,
            OpinionRow.opinion,
            OpinionRow.supported_count,
            OpinionRow.updated_at,
        )
        .select_from(a)
        .outerjoin(s, s.application_id == a.id)
        .outerjoin(OpinionRow, OpinionRow.application_id == a.id)
        .where(*filter_conditions(filters, user))
    )


def answer_rows(
    *, session: Session, user: User, filters: ReviewFilters
) -> list[tuple[int, str, str | None, dict]]:
    """(id, call id, dossier number, answers) of matching applications: the submitted snapshot
    when there is one, else the draft; by id."""
    require_reviewer(user)
    a, s = ApplicationRow, SubmissionRow
    query = (
        select(a.id, a.call_id, s.dossier_number, s.data, a.data)
        .select_from(a)
        .outerjoin(s, s.application_id == a.id)
        .where(*filter_conditions(filters, user))
        .order_by(a.id)
    )
    return [(r[0], r[1], r[2], r[3] if r[3] is not None else r[4]) for r in session.execute(query)]


def count_applications(*, session: Session, user: User, filters: ReviewFilters) -> int:
    """How many applications match the filters."""
    require_reviewer(user)
    query = (
        select(func.count()).select_from(ApplicationRow).where(*filter_conditions(filters, user))
    )
    return session.execute(query).scalar_one()


def list_applications(
    *,
    session: Session,
    user: User,
    filters: ReviewFilters,
    sort: SortKey = "submitted_at",
    descending: bool = True,
    offset: int = 0,
    limit: int | None = 50,
) -> pd.DataFrame:
    """One page of matching applications (all of them when limit is None), sorted in SQL."""
    require_reviewer(user)
    query = listing_query(filters, user).order_by(*_listing_order(sort, descending))
    if limit is not None:
        query = query.offset(max(offset, 0)).limit(limit)
    rows = session.execute(query).all()
    return listing_frame(rows)


def _listing_order(sort: SortKey, descending: bool) -> list[ColumnElement[Any]]:
    a = ApplicationRow
    column = {
        # The application's copy of its submission date: sorting needs no join (and, on
        # PostgreSQL, the default order is an index).
        "submitted_at": a.submitted_at,
        "structure_name": a.structure_name,
        "department": a.department,
        "posts_count": a.posts_count,
        "id": a.id,
    }[sort]
    order = column.desc() if descending else column.asc()
    return [order.nulls_last(), a.id]


def listing_ids(
    *,
    session: Session,
    user: User,
    filters: ReviewFilters,
    sort: SortKey = "submitted_at",
    descending: bool = True,
) -> list[int]:
    """Ids of every matching application, in the listing's order (previous / next dossier)."""
    require_reviewer(user)
    query = (
        select(ApplicationRow.id)
        .where(*filter_conditions(filters, user))
        .order_by(*_listing_order(sort, descending))
    )
    return list(session.execute(query).scalars())
