"""What the reviewer reads: the compact listing, previous / next dossier, the grouped history."""

from __future__ import annotations

import datetime as dt

import pytest

from core import review_listing, review_view
from core.formatting import PARIS
from core.review_listing import ReviewFilters
from core.storage import AuditEvent, Forbidden
from tests.review_data import TODAY, populate


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(session, applicant):
    return populate(session, applicant)


def _listing(session, reviewer, **kwargs):
    return review_listing.list_applications(
        session=session, user=reviewer, filters=ReviewFilters(), **kwargs
    )


def test_compact_listing_holds_the_useful_columns_and_no_missing_value(apps, session, reviewer):
    shown = review_view.listing_view(_listing(session, reviewer))
    assert list(shown.columns) == [
        "Dossier",
        "Nom de la structure",
        "Département",
        "État",
        "Éligibilité",
        "Postes",
        "Date de dépôt",
    ]
    draft = shown[shown["État"] == "Brouillon"].iloc[0]
    assert draft["Dossier"] == f"Brouillon n° {apps.draft_93}"
    assert draft["Date de dépôt"] == ""  # an empty cell, not « None » nor « NaT »
    assert not shown.isna().any().any()
    filed = shown[shown["État"] == "Déposée"]
    assert filed["Dossier"].str.startswith("CNFS-").all()
    assert filed["Date de dépôt"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()


def test_all_columns_on_demand_with_empty_cells_for_no_opinion(apps, session, reviewer):
    shown = review_view.listing_view(_listing(session, reviewer), all_columns=True)
    assert {"SIRET", "Région", "QPV", "Avis du préfet", "Date de l'avis"} <= set(shown.columns)
    assert not shown.isna().any().any()
    assert set(shown["Date de l'avis"]) == {""}  # nobody gave an opinion yet
    assert set(shown["QPV"]) <= {"Oui", "Non", ""}
    assert shown["SIRET"].str.fullmatch(r"\d{3} \d{3} \d{3} \d{5}").all()
    assert shown["Montant demandé (€)"].str.fullmatch(r"(\d{1,3}(\u202f\d{3})*\xa0€)?").all()


def test_neighbours_follow_the_filter_and_the_order(apps, session, reviewer):
    in_93 = ReviewFilters(departments=("93",))
    ids = list(
        _listing(session, reviewer, sort="id", descending=False).query("department == '93'")["id"]
    )
    middle = review_view.neighbours(
        session=session,
        user=reviewer,
        application_id=ids[1],
        filters=in_93,
        sort="id",
        descending=False,
    )
    assert (middle.previous, middle.next, middle.position, middle.total) == (
        ids[0],
        ids[2],
        2,
        len(ids),
    )
    first = review_view.neighbours(
        session=session, user=reviewer, application_id=ids[0], filters=in_93, sort="id"
    )
    assert first.next is None and first.previous == ids[1]  # descending: ids[0] comes last
    outside = review_view.neighbours(
        session=session, user=reviewer, application_id=apps.saint_etienne, filters=in_93
    )
    assert outside.position is None and outside.previous is None and outside.next is None


def test_neighbours_are_for_reviewers_only(apps, session, applicant):
    with pytest.raises(Forbidden):
        review_view.neighbours(
            session=session, user=applicant, application_id=apps.montreuil, filters=ReviewFilters()
        )


def _at(hour: int, minute: int, day: int = 10) -> dt.datetime:
    return dt.datetime(2021, 2, day, hour, minute, tzinfo=PARIS)


def _event(action: str, at: dt.datetime, who: str = "dgs@ville.fr", detail: str = "") -> AuditEvent:
    return AuditEvent(at=at, actor_email=who, action=action, detail=detail)


def test_history_groups_each_run_of_autosaves():
    events = [
        _event("created", _at(9, 10), detail="cnfs-2020-collectivites"),
        *(_event("draft_saved", _at(9, 14 + i // 5)) for i in range(27)),
        _event("draft_saved", _at(10, 2), who="autre@ville.fr"),
        _event("draft_saved", _at(8, 30, day=11)),
        _event("submitted", _at(9, 0, day=11), detail="CNFS-2021-000001 (eligible)"),
    ]
    lines = review_view.history(events, lambda action, detail: detail.upper())
    assert [line.action for line in lines] == [
        "Candidature créée",
        "27 réponses enregistrées entre 9 h 14 et 9 h 19",
        "1 réponse enregistrée à 10 h 02",  # someone else: a run of its own
        "1 réponse enregistrée à 8 h 30",  # the next day
        "Candidature déposée",
    ]
    assert lines[0].detail == "CNFS-2020-COLLECTIVITES"
    frame = review_view.history_frame(lines)
    assert list(frame["Date"]) == [
        "10 février 2021 à 9 h 10",
        "10 février 2021",
        "10 février 2021",
        "11 février 2021",
        "11 février 2021 à 9 h 00",
    ]
    assert list(frame["Par"])[2] == "autre@ville.fr"
