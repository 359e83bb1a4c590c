"""The reviewer dashboard: counts and totals of the applications in scope, by status,
verdict, structure type, region and department, with the territorial agreements' progress, the
commission calendar and the territory boards; and the data fingerprint its cache is keyed on."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd
from pydantic import BaseModel
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from core import clock
from core.calls import Call, TerritorialAgreement
from core.db import ApplicationRow, OpinionRow
from core.formatting import NOT_ANSWERED
from core.review_access import calls_in_view, require_reviewer
from core.review_calendar import commission_calendar
from core.review_table import (
    department_names,
    department_regions,
    structure_type_label,
    verdict_label,
)
from core.review_territories import TerritoryBoard, territory_boards
from core.storage import APPLICATION_STATUS_LABELS_FR, User, read_conditions


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
    in_view = calls_in_view(user, call_id)
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
            return NOT_ANSWERED
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
