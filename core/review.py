"""Read-only queries for reviewers and prefecture staff: dashboard, listing, dossier.

Every public function checks the user first (reviewers and admins only) and filters in SQL on
the columns storage copies out of the answers, so tens of thousands of rows stay fast. A
reviewer reads only the calls of its scope: every query adds storage.read_conditions(user), the
SQL twin of User.can_read, which the dossier reads go through (storage.check_readable).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import Select, and_, case, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core import clock
from core.calls import Call, TargetRule, TerritorialAgreement, get_call, load_calls
from core.db import ApplicationRow, OpinionRow, SubmissionRow
from core.formatting import PARIS, STRUCTURE_TYPE_LABELS_FR, count_fr
from core.identifiers import compact_siret, is_ascii_digits
from core.models import STATUS_LABELS_FR, Status, StructureType, clean_text
from core.reference import departments, regions
from core.storage import (
    APPLICATION_STATUS_LABELS_FR,
    ApplicationRecord,
    AuditEvent,
    Forbidden,
    NotFound,
    Role,
    SubmissionRecord,
    User,
    consulted_call_ids,
    get_application,
    list_audit_events,
    read_conditions,
)

REVIEW_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
NOT_EVALUATED = "Non évalué"
PAGE_SIZES = (25, 50, 100, 200)

SortKey = Literal["submitted_at", "structure_name", "department", "posts_count", "id"]
SORT_LABELS_FR: dict[str, str] = {
    "submitted_at": "Date de dépôt",
    "structure_name": "Nom de la structure",
    "department": "Département",
    "posts_count": "Postes demandés",
    "id": "N° de candidature",
}

# Columns of a listing, in display order, with their French headers (screens and exports).
LISTING_COLUMNS_FR: dict[str, str] = {
    "id": "N° de candidature",
    "dossier_number": "N° de dossier",
    "submitted_at": "Date de dépôt",
    "call": "Appel",
    "siret": "SIRET",
    "structure_name": "Nom de la structure",
    "structure_type": "Type de structure",
    "department": "Département",
    "department_name": "Nom du département",
    "region": "Région",
    "status": "État",
    "verdict": "Éligibilité",
    "posts_count": "Postes demandés",
    "coordinator_count": "Dont coordinateurs",
    "france_services": "France Services",
    "qpv": "QPV",
    "requested_eur": "Montant demandé (€)",
    "opinion": "Avis du préfet",
    "supported_count": "Conseillers soutenus",
    "opinion_at": "Date de l'avis",
}


def require_reviewer(user: User) -> None:
    """Refuse anyone who is not a reviewer or an admin (applicants never see others' files)."""
    if user.role not in REVIEW_ROLES:
        raise Forbidden(
            "Cette page est réservée aux instructeurs de l'ANCT et aux services préfectoraux."
        )


def readable_calls(user: User) -> dict[str, Call]:
    """The loaded calls this account reads, by id (a stored id not loaded here is skipped)."""
    return {cid: c for cid, c in load_calls().items() if user.reads_call(cid)}


def scope_summary(user: User) -> str:
    """« Appels que vous instruisez : … », from the call titles, for the reviewer's pages."""
    if user.role == Role.ADMIN:
        return "Vous instruisez tous les appels du portail (compte administrateur)."
    calls = load_calls()
    known = [calls[cid].title for cid in user.calls if cid in calls]
    if not known:
        return (
            "Aucun des appels que vous instruisez n'est encore ouvert sur ce portail : "
            "aucune candidature à consulter pour l'instant."
        )
    waiting = len(user.calls) - len(known)
    note = (
        f" ({count_fr(waiting, 'autre appel', 'autres appels')} pas encore ouvert"
        f"{'s' if waiting > 1 else ''} sur ce portail)"
        if waiting
        else ""
    )
    label = "Appel que vous instruisez" if len(known) == 1 else "Appels que vous instruisez"
    return f"{label} : " + " ; ".join(f"« {t} »" for t in known) + note + "."


def _calls_in_view(user: User, call_id: str | None) -> list[Call]:
    """The calls a dashboard table covers: one (if readable and loaded) or the whole scope."""
    calls = readable_calls(user)
    if call_id is None:
        return list(calls.values())
    return [calls[call_id]] if call_id in calls else []


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


def department_names() -> dict[str, str]:
    return {d.code: d.name for d in departments()}


def department_regions() -> dict[str, str]:
    return {d.code: d.region for d in departments()}


def departments_of_regions(names: Sequence[str]) -> list[str]:
    wanted = set(names)
    return [d.code for d in departments() if d.region in wanted]


def verdict_label(value: object) -> str:
    if not isinstance(value, str) or not value:
        return NOT_EVALUATED
    try:
        return STATUS_LABELS_FR[Status(value)]
    except ValueError:
        return value


def structure_type_label(value: object) -> str:
    if not isinstance(value, str) or not value:
        return "Non renseigné"
    try:
        return STRUCTURE_TYPE_LABELS_FR[StructureType(value)]
    except ValueError:
        return value


def _conditions(filters: ReviewFilters, user: User) -> list[ColumnElement[bool]]:
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


def _listing_query(filters: ReviewFilters, user: User) -> Select[Any]:
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
        .where(*_conditions(filters, user))
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
        .where(*_conditions(filters, user))
        .order_by(a.id)
    )
    return [(r[0], r[1], r[2], r[3] if r[3] is not None else r[4]) for r in session.execute(query)]


def count_applications(*, session: Session, user: User, filters: ReviewFilters) -> int:
    """How many applications match the filters."""
    require_reviewer(user)
    query = select(func.count()).select_from(ApplicationRow).where(*_conditions(filters, user))
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
    query = _listing_query(filters, user).order_by(*_listing_order(sort, descending))
    if limit is not None:
        query = query.offset(max(offset, 0)).limit(limit)
    rows = session.execute(query).all()
    return _listing_frame(rows)


def _listing_order(sort: SortKey, descending: bool) -> list[ColumnElement[Any]]:
    a, s = ApplicationRow, SubmissionRow
    column = {
        "submitted_at": s.submitted_at,
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
    a, s = ApplicationRow, SubmissionRow
    query = (
        select(a.id)
        .select_from(a)
        .outerjoin(s, s.application_id == a.id)
        .where(*_conditions(filters, user))
        .order_by(*_listing_order(sort, descending))
    )
    return list(session.execute(query).scalars())


def _listing_frame(rows: Sequence[Any]) -> pd.DataFrame:
    columns = [
        "id",
        "dossier_number",
        "submitted_at",
        "call_id",
        "siret",
        "structure_name",
        "structure_type",
        "department",
        "status",
        "verdict_status",
        "posts_count",
        "coordinator_count",
        "france_services",
        "qpv",
        "subsidy_eur",
        "opinion",
        "supported_count",
        "opinion_at",
    ]
    raw = pd.DataFrame.from_records(rows, columns=columns)
    calls = load_calls()
    titles = {cid: c.short_title for cid, c in calls.items()}
    names, region_of = department_names(), department_regions()
    posts = raw["posts_count"].astype("Int64")
    submitted = pd.to_datetime(raw["submitted_at"], utc=True)
    frame = pd.DataFrame(
        {
            "id": raw["id"].astype("int64"),
            "dossier_number": raw["dossier_number"].astype("string"),
            # Paris wall-clock time, naive: what Excel and the screen should show.
            "submitted_at": submitted.dt.tz_convert(PARIS).dt.tz_localize(None),
            "call": raw["call_id"].map(titles).fillna(raw["call_id"]).astype("string"),
            "siret": raw["siret"].astype("string"),
            "structure_name": raw["structure_name"].astype("string"),
            "structure_type": raw["structure_type"].map(structure_type_label).astype("string"),
            "department": raw["department"].astype("string"),
            "department_name": raw["department"].map(names).astype("string"),
            "region": raw["department"].map(region_of).astype("string"),
            "status": raw["status"].map(APPLICATION_STATUS_LABELS_FR).astype("string"),
            "verdict": raw["verdict_status"].map(verdict_label).astype("string"),
            "posts_count": posts,
            "coordinator_count": raw["coordinator_count"].astype("Int64"),
            "france_services": raw["france_services"].astype("boolean"),
            "qpv": raw["qpv"].astype("boolean"),
            # The verdict's own figure (overseas, ceilings, budgets): never posts × amount here.
            "requested_eur": raw["subsidy_eur"].astype("Int64"),
            **_opinion_columns(raw),
        }
    )
    return frame


def _opinion_columns(raw: pd.DataFrame) -> dict[str, pd.Series]:
    """The prefect's opinion of each row: label (« Sans avis »), count, Paris date; blank for
    rows the prefects are never asked about (drafts, calls without their opinion)."""
    from core.opinions import opinion_label

    opinion_at = pd.to_datetime(raw["opinion_at"], utc=True)
    asked = raw["call_id"].isin(consulted_call_ids()) & (raw["status"] == "submitted")
    return {
        "opinion": raw["opinion"].map(opinion_label).astype("string").where(asked),
        "supported_count": raw["supported_count"].astype("Int64"),
        "opinion_at": opinion_at.dt.tz_convert(PARIS).dt.tz_localize(None),
    }


def to_french(frame: pd.DataFrame) -> pd.DataFrame:
    """A listing with its French headers."""
    return frame.rename(columns=LISTING_COLUMNS_FR)


# --- Dashboard ------------------------------------------------------------------------------


class AgreementProgress(BaseModel):
    """Posts and euros requested by submitted applications of a department with an agreement."""

    agreement: TerritorialAgreement
    department_name: str
    posts_requested: int
    eur_requested: int
    applications: int
    draft_posts: int

    @property
    def posts_ratio(self) -> float:
        return self.posts_requested / self.agreement.max_posts if self.agreement.max_posts else 0

    @property
    def eur_ratio(self) -> float:
        return self.eur_requested / self.agreement.max_eur if self.agreement.max_eur else 0


POSTS_COLUMNS = ("Postes demandés (déposées)", "Montant demandé (déposées, €)")


@dataclasses.dataclass(frozen=True)
class TerritoryRow:
    """One territory of a call funding a project per territory: its dossiers and their sums."""

    territory_id: str
    label: str
    submitted: int
    drafts: int
    eligible: int  # submitted and recevable (verdict « eligible »)
    budget_eur: int  # requested by the submitted dossiers
    share_eur: int
    targets: dict[str, int]  # target id -> sum over the submitted dossiers

    @property
    def over_share(self) -> bool:
        return self.budget_eur > self.share_eur


@dataclasses.dataclass(frozen=True)
class TerritoryBoard:
    """The per-territory roll-up of one call with territories and an envelope."""

    call: Call
    rows: list[TerritoryRow]

    @property
    def targets(self) -> list[TargetRule]:
        return self.call.targets


NO_TERRITORY = "Territoire non renseigné"


def territory_boards(
    *, session: Session, user: User, call_id: str | None = None
) -> list[TerritoryBoard]:
    """Per territory: dossiers, recevables, budget against the share, targets summed.

    Only for readable calls that have territories and an envelope (from the call data); the
    figures come from the applications' answers, read through the same scope conditions.
    """
    require_reviewer(user)
    boards = []
    for call in _calls_in_view(user, call_id):
        if not call.territories or call.envelope is None:
            continue
        a = ApplicationRow
        rows = session.execute(
            select(a.status, a.verdict_status, a.data).where(
                a.call_id == call.id, a.deleted_at.is_(None), *read_conditions(user)
            )
        ).all()
        records = []
        for status, verdict, data in rows:
            project = (data or {}).get("project") or {}
            targets = project.get("targets") or {}
            record = {
                "territory": project.get("territory") or "",
                "submitted": int(status == "submitted"),
                "drafts": int(status == "draft"),
                "eligible": int(status == "submitted" and verdict == "eligible"),
            }
            # Sums of what was filed: drafts still change, so they count as dossiers only.
            filed = status == "submitted"
            record["budget_eur"] = _whole(project.get("budget_eur")) if filed else 0
            for target in call.targets:
                record[target.id] = _whole(targets.get(target.id)) if filed else 0
            records.append(record)
        columns = ["territory", "submitted", "drafts", "eligible", "budget_eur"]
        columns += [t.id for t in call.targets]
        frame = pd.DataFrame.from_records(records, columns=columns)
        known = [(t.id, t.label) for t in call.territories]
        # Drafts not placed yet (or an id the call no longer has) go on one last line.
        frame.loc[~frame["territory"].isin([t for t, _ in known]), "territory"] = ""
        if (frame["territory"] == "").any():
            known.append(("", NO_TERRITORY))
        sums = frame.groupby("territory").sum().reindex([t for t, _ in known], fill_value=0)
        board_rows = [
            TerritoryRow(
                territory_id=territory_id,
                label=label,
                submitted=int(sums.at[territory_id, "submitted"]),
                drafts=int(sums.at[territory_id, "drafts"]),
                eligible=int(sums.at[territory_id, "eligible"]),
                budget_eur=int(sums.at[territory_id, "budget_eur"]),
                share_eur=call.envelope.share_eur,
                targets={t.id: int(sums.at[territory_id, t.id]) for t in call.targets},
            )
            for territory_id, label in known
        ]
        boards.append(TerritoryBoard(call=call, rows=board_rows))
    return boards


def _whole(value: object) -> int:
    """An answer summed as a figure: a missing or odd value counts as zero."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)


@dataclasses.dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows; tables are pandas DataFrames with French headers."""

    total: int
    submitted: int
    posts_submitted: int
    eur_submitted: int
    coordinators_submitted: int
    by_status: pd.DataFrame
    by_verdict: pd.DataFrame
    by_structure_type: pd.DataFrame
    by_region: pd.DataFrame
    by_department: pd.DataFrame
    agreements: list[AgreementProgress]
    calendar: pd.DataFrame
    # False when no call in view funds posts: posts and per-post amounts mean nothing there.
    funds_posts: bool = True
    territories: list[TerritoryBoard] = dataclasses.field(default_factory=list)


def data_version(*, session: Session, user: User) -> tuple[object, ...]:
    """A fingerprint of the applications and opinions, one scan of narrow columns: a cache
    keyed on it (and on the reader's scope) is reused until something a reviewer sees changes.

    An insert raises a count and the highest id, a purge lowers the count, every update bumps
    the row's version (storage and opinions lock on it), so the tuple moves with any change.
    """
    require_reviewer(user)
    a, o = ApplicationRow, OpinionRow
    applications = select(
        func.count(),
        func.coalesce(func.max(a.id), 0),
        func.coalesce(func.sum(a.version), 0),
        func.max(a.updated_at),
    ).subquery()
    opinions = select(
        func.count(), func.coalesce(func.sum(o.version), 0), func.max(o.updated_at)
    ).subquery()
    both = applications.join(opinions, true())  # one row each: a cross join of two rows
    return tuple(session.execute(select(applications, opinions).select_from(both)).one())


def _cube(session: Session, user: User, call_id: str | None) -> pd.DataFrame:
    """One GROUP BY over the filter columns; every dashboard table is a roll-up of it."""
    a = ApplicationRow
    keys = (a.call_id, a.status, a.verdict_status, a.structure_type, a.department)
    query = (
        select(
            *keys,
            func.count().label("applications"),
            func.coalesce(func.sum(a.posts_count), 0).label("posts"),
            func.coalesce(func.sum(a.coordinator_count), 0).label("coordinators"),
            func.coalesce(func.sum(a.subsidy_eur), 0).label("eur"),
        )
        .where(a.deleted_at.is_(None), *read_conditions(user))
        .group_by(*keys)
    )
    if call_id:
        query = query.where(a.call_id == call_id)
    rows = session.execute(query).all()
    cube = pd.DataFrame.from_records(
        rows,
        columns=[
            "call_id",
            "status",
            "verdict_status",
            "structure_type",
            "department",
            "applications",
            "posts",
            "coordinators",
            "eur",
        ],
    )
    for column in ("posts", "coordinators", "eur"):
        cube[column] = cube[column].astype("int64")
    return cube


def _roll_up(cube: pd.DataFrame, key: str, label: str, labels: Any) -> pd.DataFrame:
    """Applications (all, submitted), posts and euros of submitted ones, by one key."""
    submitted = cube[cube["status"] == "submitted"]
    totals = cube.groupby(key, dropna=False)["applications"].sum().rename("Candidatures")
    sub = submitted.groupby(key, dropna=False)[["applications", "posts", "eur"]].sum()
    sub.columns = ["Déposées", *POSTS_COLUMNS]
    table = pd.concat([totals, sub], axis=1).fillna(0).astype("int64").reset_index()
    table = table.rename(columns={key: label})
    table[label] = table[label].map(labels)
    return (
        table.groupby(label, as_index=False, sort=False)
        .sum()
        .sort_values(["Candidatures", label], ascending=[False, True])
        .reset_index(drop=True)
    )


def dashboard(
    *, session: Session, user: User, call_id: str | None = None, today: dt.date | None = None
) -> Dashboard:
    """Counts and totals for the dashboard, for one call or all of them."""
    require_reviewer(user)
    today = today or clock.today()
    cube = _cube(session, user, call_id)
    in_view = _calls_in_view(user, call_id)
    # Money per kind of call: only calls funding posts count in « Montant demandé »; a
    # territorial call's budgets are in its own table (territory_boards).
    posts_calls = {c.id for c in in_view if c.amount_per_post is not None}
    cube.loc[~cube["call_id"].isin(posts_calls), "eur"] = 0
    funds_posts = bool(posts_calls) or not in_view
    region_of, names = department_regions(), department_names()
    cube["region"] = cube["department"].map(region_of)
    submitted = cube[cube["status"] == "submitted"]

    def dep_label(code: object) -> str:
        if not isinstance(code, str) or not code:
            return "Non renseigné"
        return f"{code} — {names[code]}" if code in names else code

    def plain(value: object) -> str:
        return value if isinstance(value, str) and value else "Non renseignée"

    tables = {
        "by_status": _roll_up(
            cube, "status", "État", lambda s: APPLICATION_STATUS_LABELS_FR.get(s, s)
        ),
        "by_verdict": _roll_up(cube, "verdict_status", "Éligibilité", verdict_label),
        "by_structure_type": _roll_up(
            cube, "structure_type", "Type de structure", structure_type_label
        ),
        "by_region": _roll_up(cube, "region", "Région", plain),
        "by_department": _roll_up(cube, "department", "Département", dep_label),
    }
    if not funds_posts:
        tables = {k: t.drop(columns=list(POSTS_COLUMNS)) for k, t in tables.items()}
    return Dashboard(
        total=int(cube["applications"].sum()),
        submitted=int(submitted["applications"].sum()),
        posts_submitted=int(submitted["posts"].sum()),
        eur_submitted=int(submitted["eur"].sum()),
        coordinators_submitted=int(submitted["coordinators"].sum()),
        **tables,
        agreements=_agreements(cube, in_view),
        calendar=commission_calendar(session=session, user=user, call_id=call_id, today=today),
        funds_posts=funds_posts,
        territories=territory_boards(session=session, user=user, call_id=call_id),
    )


def _agreements(cube: pd.DataFrame, calls: list[Call]) -> list[AgreementProgress]:
    """Each territorial agreement once, counting every call in scope that carries it."""
    carried: dict[str, tuple[TerritorialAgreement, set[str]]] = {}
    for call in calls:
        for agreement in call.territorial_agreements:
            carried.setdefault(agreement.id, (agreement, set()))[1].add(call.id)
    names = department_names()
    result = []
    for agreement, call_ids in carried.values():
        rows = cube[(cube["department"] == agreement.department) & cube["call_id"].isin(call_ids)]
        submitted = rows[rows["status"] == "submitted"]
        drafts = rows[rows["status"] == "draft"]
        result.append(
            AgreementProgress(
                agreement=agreement,
                department_name=names.get(agreement.department, agreement.department),
                posts_requested=int(submitted["posts"].sum()),
                eur_requested=int(submitted["eur"].sum()),
                applications=int(submitted["applications"].sum()),
                draft_posts=int(drafts["posts"].sum()),
            )
        )
    return result


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
    calls = [c for c in _calls_in_view(user, call_id) if c.review is not None]
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


# --- Dossier --------------------------------------------------------------------------------


class Dossier(BaseModel):
    """One application as a reviewer reads it: the record, its call and its history."""

    application: ApplicationRecord
    call: Call
    events: list[AuditEvent]

    @property
    def submission(self) -> SubmissionRecord | None:
        return self.application.submission


def get_dossier(*, session: Session, user: User, application_id: int) -> Dossier:
    """An application with its submission and audit trail; NotFound if it does not exist."""
    require_reviewer(user)
    record = get_application(session=session, user=user, application_id=application_id)
    try:
        call = get_call(record.call_id)
    except KeyError:
        raise NotFound(application_id) from None
    events = list_audit_events(session=session, user=user, application_id=application_id)
    return Dossier(application=record, call=call, events=events)


class DossierPdf(BaseModel):
    content: bytes
    sha256: str
    stored_sha256: str | None

    @property
    def matches(self) -> bool | None:
        """True or False when a hash was stored at submission, None otherwise."""
        if self.stored_sha256 is None:
            return None
        return self.sha256 == self.stored_sha256


def dossier_pdf(dossier: Dossier) -> DossierPdf:
    """The submitted PDF re-rendered from the snapshot, dated as at submission."""
    from core.pdf import pdf_sha256, render_application

    submission = dossier.submission
    if submission is None:
        raise NotFound(dossier.application.id)
    content = render_application(
        submission.data,
        submission.verdict,
        dossier.call,
        dossier_number=submission.dossier_number,
        submitted_at=submission.submitted_at,
        generated_at=submission.submitted_at,
    )
    return DossierPdf(
        content=content, sha256=pdf_sha256(content), stored_sha256=submission.pdf_sha256
    )


def submitted_rows_of_department(
    *, session: Session, user: User, department: str, call_id: str | None = None
) -> list[tuple[str, dict, str]]:
    """(call id, snapshot data, dossier number) of the department's submitted applications."""
    require_reviewer(user)
    a, s = ApplicationRow, SubmissionRow
    query = (
        select(a.call_id, s.data, s.dossier_number)
        .join(s, s.application_id == a.id)
        .where(and_(a.department == department, a.status == "submitted"))
        .where(*read_conditions(user))
        .order_by(a.structure_name, a.id)
    )
    if call_id:
        query = query.where(a.call_id == call_id)
    return [(r[0], r[1], r[2]) for r in session.execute(query).all()]


def all_regions() -> list[str]:
    return regions()


def department_options() -> dict[str, str]:
    """Department code -> "93 — Seine-Saint-Denis", in code order, for filter widgets."""
    return {d.code: f"{d.code} — {d.name}" for d in departments()}


def structure_type_options() -> dict[str, str]:
    """Structure types a reviewer may filter on (drafts may hold any of them)."""
    return {t.value: STRUCTURE_TYPE_LABELS_FR[t] for t in StructureType}


VERDICT_OPTIONS: dict[str, str] = {
    **{s.value: STATUS_LABELS_FR[s] for s in Status},
    "": NOT_EVALUATED,
}
