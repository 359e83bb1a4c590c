"""A draft ineligible for its call because another call fits moves there in one step, keeping
every answer that call asks and naming the ones it drops; a filed application never moves."""

from __future__ import annotations

import pytest

from core import journey, review_listing, storage
from core.calls import get_call
from core.models import Application, Status
from core.review_listing import ReviewFilters
from tests.builders import SIGNED, TODAY, WAVE1, WAVE2, complete_application

ASSOCIATION = {
    "structure.structure_type": "association",
    "structure.legal_category": "9220",
    "structure.siret": "41234567000019",
    "structure.name": "Association Liens numériques 93",
}


def _association_in_wave1(session, user, **changes) -> storage.ApplicationRecord:
    data = Application.model_validate(complete_application(WAVE1, **{**ASSOCIATION, **changes}))
    record = storage.create_application(session=session, user=user, call_id=WAVE1, data=data)
    session.commit()
    return record


def _move(session, user, record, call_id=WAVE2) -> journey.MovedDraft:
    return journey.move_draft(
        session=session,
        user=user,
        application_id=record.id,
        call_id=call_id,
        expected_version=record.version,
        today=TODAY,
    )


def test_an_association_in_wave1_is_offered_the_wave_for_private_structures(session, applicant):
    record = _association_in_wave1(session, applicant)
    assert journey.verdict_for(record, TODAY).status == Status.INELIGIBLE
    assert [c.id for c in journey.fitting_calls(record, TODAY)] == [WAVE2]
    commune = storage.create_application(
        session=session,
        user=applicant,
        call_id=WAVE1,
        data=Application.model_validate(complete_application(WAVE1)),
    )
    assert journey.fitting_calls(commune, TODAY) == []  # eligible where it is: nothing to offer


def test_moving_keeps_every_answer_the_new_call_asks(session, applicant, reviewer):
    record = _association_in_wave1(session, applicant)
    moved = _move(session, applicant, record)
    session.commit()
    assert moved.record.call_id == WAVE2 and moved.record.id == record.id
    assert moved.dropped == []  # wave 2 asks all that wave 1 asked of an association
    before = record.data.model_dump(exclude={"call_id"})
    assert moved.record.data.model_dump(exclude={"call_id"}) == before
    assert moved.verdict.status != Status.INELIGIBLE
    # Reviewers see it in its new call, and its history says so.
    listing = review_listing.list_applications(
        session=session, user=reviewer, filters=ReviewFilters(call_id=WAVE2)
    )
    assert record.id in set(listing["id"])
    events = storage.list_audit_events(session=session, user=reviewer, application_id=record.id)
    assert events[-1].action == "moved" and events[-1].detail == f"{WAVE1} -> {WAVE2}"


def test_answers_the_new_call_does_not_ask_are_dropped_and_named(session, applicant, monkeypatch):
    # A target call without a coordinator post: the three coordinator answers go.
    no_coordinator = get_call(WAVE2).model_copy(update={"coordinator": None})
    calls = {WAVE1: get_call(WAVE1), WAVE2: no_coordinator}
    monkeypatch.setattr(journey, "get_call", calls.__getitem__)
    record = _association_in_wave1(
        session,
        applicant,
        **{
            "posts.coordinator_wanted": True,
            "posts.coordinator_count": 1,
            "posts.coordinator_justification": "Animer le réseau des lieux de médiation.",
            "posts.coordinator_scope": "Est Ensemble",
        },
    )
    moved = _move(session, applicant, record)
    assert moved.dropped == [
        "Nombre de postes coordinateurs",
        "Justification du poste coordinateur",
        "Périmètre de coordination",
    ]
    posts = moved.record.data.posts
    assert posts.coordinator_wanted is True  # still asked
    assert posts.coordinator_count is None and posts.coordinator_scope is None


def test_a_submitted_application_never_moves(session, applicant, make_application):
    data = Application.model_validate(complete_application(WAVE2, **ASSOCIATION))
    record = storage.create_application(session=session, user=applicant, call_id=WAVE2, data=data)
    journey.submit(
        session=session,
        user=applicant,
        application_id=record.id,
        expected_version=record.version,
        today=TODAY,
        declaration=SIGNED,
    )
    session.commit()
    with pytest.raises(storage.AlreadySubmitted):
        _move(session, applicant, record.model_copy(update={"version": record.version + 1}), WAVE1)


def test_nobody_else_moves_it_and_a_stale_tab_cannot(session, applicant, other_applicant):
    record = _association_in_wave1(session, applicant)
    with pytest.raises(storage.NotFound):
        _move(session, other_applicant, record)
    stale = record.model_copy(update={"version": record.version - 1})
    with pytest.raises(storage.StaleVersion):
        _move(session, applicant, stale)


def test_the_siret_already_applied_in_the_new_call_is_refused(session, applicant):
    there = Application.model_validate(complete_application(WAVE2, **ASSOCIATION))
    existing = storage.create_application(
        session=session, user=applicant, call_id=WAVE2, data=there
    )
    session.commit()
    record = _association_in_wave1(session, applicant)
    with pytest.raises(storage.DuplicateApplication) as refused:
        _move(session, applicant, record)
    assert refused.value.existing_id == existing.id
