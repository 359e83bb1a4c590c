"""What a reviewer reads of a listing and a dossier: compact columns, neighbours, history."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pandas as pd
from sqlalchemy.orm import Session

from core import review_listing, review_table
from core.formatting import (
    count_fr,
    format_date_fr,
    format_datetime_fr,
    format_eur,
    format_int,
    format_siret,
    to_paris,
)
from core.storage import AuditEvent, User

# The listing's columns a reviewer needs to pick a dossier, in order; the others on demand.
COMPACT_COLUMNS: tuple[str, ...] = (
    "dossier",
    "structure_name",
    "department",
    "status",
    "verdict",
    "posts_count",
    "submitted_at",
)


def column_labels(headers: dict[str, str] = review_table.LISTING_COLUMNS_FR) -> dict[str, str]:
    """Headers on screen: the listing's (review_table.listing_headers), the dossier first and a
    short « Postes » where the posts column keeps the portal's own header (1280 px)."""
    labels = {"dossier": "Dossier", **headers}
    if headers["posts_count"] == review_table.LISTING_COLUMNS_FR["posts_count"]:
        labels["posts_count"] = "Postes"
    return labels


DATE_COLUMNS = ("submitted_at", "opinion_at")
NUMBER_COLUMNS = ("id", "posts_count", "coordinator_count", "requested_eur", "supported_count")
# Session key where the listing leaves its filters and order for the dossier page.
LISTING_STATE = "review_listing"


def dossier_label(application_id: int, dossier_number: object) -> str:
    """The dossier number once filed; a draft is named by its application number."""
    if isinstance(dossier_number, str) and dossier_number:
        return dossier_number
    return f"Brouillon n° {application_id}"


def _paris_text(series: pd.Series, fmt: str) -> pd.Series:
    # Text, not datetimes: a missing date must read as an empty cell, never « None ».
    return series.map(lambda v: "" if pd.isna(v) else v.strftime(fmt)).astype("string")


def listing_keys(all_columns: bool) -> list[str]:
    """The listing's columns on screen: the compact ones, or every one."""
    if not all_columns:
        return list(COMPACT_COLUMNS)
    return ["dossier", *(c for c in review_table.LISTING_COLUMNS_FR if c != "dossier_number")]


def listing_view(
    frame: pd.DataFrame,
    *,
    all_columns: bool = False,
    headers: dict[str, str] = review_table.LISTING_COLUMNS_FR,
) -> pd.DataFrame:
    """The listing as shown on screen: French headers and words, empty cells for no value."""
    out = frame.copy()
    out.insert(
        0,
        "dossier",
        [dossier_label(i, n) for i, n in zip(out["id"], out["dossier_number"], strict=True)],
    )
    out["siret"] = out["siret"].map(format_siret, na_action="ignore")
    for column in ("france_services", "qpv"):
        out[column] = out[column].map({True: "Oui", False: "Non"}).astype("string")
    for column in DATE_COLUMNS:
        fmt = "%d/%m/%Y %H:%M" if all_columns or column != "submitted_at" else "%d/%m/%Y"
        out[column] = _paris_text(out[column], fmt)
    keys = listing_keys(all_columns)
    out = out[keys]
    # Every cell as text, so no missing value can show as « None » (numbers right-aligned by
    # the page, in French digit grouping).
    for column in keys:
        if column in NUMBER_COLUMNS:
            fmt = format_eur if column == "requested_eur" else format_int
            out[column] = out[column].map(lambda v, f=fmt: "" if pd.isna(v) else f(int(v)))
        out[column] = out[column].astype("string").fillna("")
    return out.rename(columns=column_labels(headers))


@dataclasses.dataclass(frozen=True)
class Neighbours:
    """The dossiers before and after one in a listing order (None at either end)."""

    previous: int | None
    next: int | None
    position: int | None  # 1-based; None when the dossier is not in the listing
    total: int


def neighbours(
    *,
    session: Session,
    user: User,
    application_id: int,
    filters: review_listing.ReviewFilters,
    sort: review_listing.SortKey = "submitted_at",
    descending: bool = True,
) -> Neighbours:
    """Previous and next dossier of the listing as filtered and sorted by the reviewer."""
    ids = review_listing.listing_ids(
        session=session, user=user, filters=filters, sort=sort, descending=descending
    )
    try:
        index = ids.index(application_id)
    except ValueError:
        return Neighbours(None, None, None, len(ids))
    return Neighbours(
        previous=ids[index - 1] if index > 0 else None,
        next=ids[index + 1] if index + 1 < len(ids) else None,
        position=index + 1,
        total=len(ids),
    )


# --- History --------------------------------------------------------------------------------

ACTION_LABELS_FR = {
    "created": "Candidature créée",
    "draft_saved": "Brouillon enregistré",
    "attachment_stored": "Pièce jointe ajoutée",
    "attachment_removed": "Pièce jointe retirée",
    "submitted": "Candidature déposée",
    "pdf_recorded": "Empreinte du PDF enregistrée",
    "deleted": "Brouillon supprimé par la structure",
    "restored": "Brouillon restauré par la structure",
    "moved": "Brouillon déplacé vers un autre appel",
}


@dataclasses.dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    when: str  # a run of autosaves gives its day; its action says the hours
    action: str
    actor: str
    detail: str


def _hour(moment: dt.datetime) -> str:
    local = to_paris(moment)
    return f"{local.hour} h {local.minute:02d}"


def _saves_line(saves: Sequence[AuditEvent]) -> HistoryLine:
    first, last = saves[0], saves[-1]
    words = count_fr(len(saves), "réponse enregistrée", "réponses enregistrées")
    if _hour(first.at) == _hour(last.at):
        when = f"à {_hour(first.at)}"
    else:
        when = f"entre {_hour(first.at)} et {_hour(last.at)}"
    day = format_date_fr(to_paris(first.at).date())
    return HistoryLine(first.at, day, f"{words} {when}", first.actor_email or "", "")


def history(events: Sequence[AuditEvent], detail_fr) -> list[HistoryLine]:
    """The audit trail, oldest first, each run of autosaves of one person on one day as one
    line (« 27 réponses enregistrées entre 9 h 14 et 9 h 20 »)."""
    lines: list[HistoryLine] = []
    run: list[AuditEvent] = []

    def close_run() -> None:
        if run:
            lines.append(_saves_line(run))
            run.clear()

    for event in events:
        if event.action == "draft_saved":
            if run and (
                run[-1].actor_email != event.actor_email
                or to_paris(run[-1].at).date() != to_paris(event.at).date()
            ):
                close_run()
            run.append(event)
            continue
        close_run()
        lines.append(
            HistoryLine(
                event.at,
                format_datetime_fr(event.at),
                ACTION_LABELS_FR.get(event.action, event.action),
                event.actor_email or "",
                detail_fr(event.action, event.detail),
            )
        )
    close_run()
    return lines


def history_frame(lines: Sequence[HistoryLine]) -> pd.DataFrame:
    """The history as a table: date in words, action, who, detail (empty cells when none)."""
    return pd.DataFrame(
        [
            {
                "Date": line.when,
                "Action": line.action,
                "Par": line.actor,
                "Détail": line.detail,
            }
            for line in lines
        ],
        columns=["Date", "Action", "Par", "Détail"],
    )
