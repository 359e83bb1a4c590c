"""The reviewer listing as a table: columns with French headers, labels of the stored codes,
and the choices the filter widgets offer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from core import questionnaire
from core.calls import Call, load_calls
from core.formatting import NOT_ANSWERED, PARIS, STRUCTURE_TYPE_LABELS_FR
from core.models import STATUS_LABELS_FR, Status, StructureType
from core.reference import departments, regions
from core.storage import APPLICATION_STATUS_LABELS_FR, consulted_call_ids

NOT_EVALUATED = "Non évalué"

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


# The listing's columns that copy an answer: named as the call's questionnaire names its question.
ANSWER_COLUMNS: dict[str, str] = {
    "siret": "structure.siret",
    "structure_name": "structure.name",
    "structure_type": "structure.structure_type",
    "department": "structure.department",
    "posts_count": "posts.count",
    "coordinator_count": "posts.coordinator_count",
    "france_services": "structure.france_services",
    "qpv": "structure.qpv",
}


def listing_headers(calls: Sequence[Call]) -> dict[str, str]:
    """LISTING_COLUMNS_FR, each answer column named as the questionnaires of the calls in view
    name it (`column:`, a short header; a form label is not one). Where two kinds of call name
    it differently, or one does not, a listing that mixes them keeps the portal's own header."""
    headers = dict(LISTING_COLUMNS_FR)
    for key, path in ANSWER_COLUMNS.items():
        asked = [q for call in calls if (q := questionnaire.question(call, path))]
        names = {q.question.column for q in asked}
        if len(names) == 1 and (name := names.pop()):
            headers[key] = name
    return headers


# Filters on an answer: offered where a call in view asks the question.
ANSWER_FILTERS: dict[str, str] = {
    "coordinator": "posts.coordinator_wanted",
    "france_services": "structure.france_services",
    "qpv": "structure.qpv",
}


def offered_filters(calls: Sequence[Call]) -> set[str]:
    """The listing filters that mean something for these calls: an answer filter where one of
    them asks its question, the prefect's opinion where one of them is sent to the prefects."""
    offered = {
        key
        for key, path in ANSWER_FILTERS.items()
        if any(questionnaire.question(call, path) for call in calls)
    }
    if any(call.id in consulted_call_ids() for call in calls):
        offered.add("opinions")
    return offered


def department_names() -> dict[str, str]:
    return {d.code: d.name for d in departments()}


def department_regions() -> dict[str, str]:
    return {d.code: d.region for d in departments()}


def verdict_label(value: object) -> str:
    if not isinstance(value, str) or not value:
        return NOT_EVALUATED
    try:
        return STATUS_LABELS_FR[Status(value)]
    except ValueError:
        return value


def structure_type_label(value: object) -> str:
    if not isinstance(value, str) or not value:
        return NOT_ANSWERED
    try:
        return STRUCTURE_TYPE_LABELS_FR[StructureType(value)]
    except ValueError:
        return value


def listing_frame(rows: Sequence[Any]) -> pd.DataFrame:
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


def to_french(frame: pd.DataFrame, headers: dict[str, str] = LISTING_COLUMNS_FR) -> pd.DataFrame:
    """A listing with its French headers."""
    return frame.rename(columns=headers)


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
