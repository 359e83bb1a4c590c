"""Drafts their owner deletes: hidden everywhere, restorable for 30 days, then purged; a
submitted application can never be deleted."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock, review_listing, storage
from core.models import Application, Structure
from core.review_listing import ReviewFilters
from core.storage import AlreadySubmitted, NotFound, NotRestorable
from tests.builders import SIRET_COMMUNE_93, WAVE1


def _draft(session, user, siret: str | None = SIRET_COMMUNE_93) -> storage.ApplicationRecord:
    record = storage.create_application(
        session=session,
        user=user,
        call_id=WAVE1,
        data=Application(structure=Structure(name="Mairie de Bondy", siret=siret)),
    )
    session.commit()
    return record


def _delete(session, user, record) -> None:
    storage.delete_draft(
        session=session, user=user, application_id=record.id, expected_version=record.version
    )
    session.commit()


def _later(monkeypatch, days: int) -> None:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: moment)


def test_a_deleted_draft_is_gone_from_every_view_until_restored(session, applicant, reviewer):
    record = _draft(session, applicant)
    _delete(session, applicant, record)
    assert storage.list_applications(session=session, user=applicant) == []
    with pytest.raises(NotFound):
        storage.get_application(session=session, user=applicant, application_id=record.id)
    with pytest.raises(NotFound):  # reviewers do not see it either
        storage.get_application(session=session, user=reviewer, application_id=record.id)
    assert (
        review_listing.count_applications(session=session, user=reviewer, filters=ReviewFilters())
        == 0
    )
    [deleted] = storage.list_deleted_drafts(session=session, user=applicant)
    assert deleted.id == record.id

    restored = storage.restore_draft(session=session, user=applicant, application_id=record.id)
    session.commit()
    assert restored.data == record.data  # every answer is back
    assert [r.id for r in storage.list_applications(session=session, user=applicant)] == [record.id]
    assert storage.list_deleted_drafts(session=session, user=applicant) == []
    actions = [
        e.action
        for e in storage.list_audit_events(
            session=session, user=applicant, application_id=record.id
        )
    ]
    assert actions[-2:] == ["deleted", "restored"]


def test_a_submitted_application_can_never_be_deleted(session, applicant, make_application):
    from core import rules
    from core.calls import get_call

    record = storage.create_application(
        session=session, user=applicant, call_id=WAVE1, data=make_application()
    )
    verdict = rules.evaluate(record.data, get_call(WAVE1), dt.date(2021, 1, 14))
    storage.submit_application(
        session=session,
        user=applicant,
        application_id=record.id,
        expected_version=record.version,
        verdict=verdict,
        call_version="1",
        commitments_version="1",
    )
    session.commit()
    current = storage.get_application(session=session, user=applicant, application_id=record.id)
    with pytest.raises(AlreadySubmitted):
        storage.delete_draft(
            session=session,
            user=applicant,
            application_id=record.id,
            expected_version=current.version,
        )


def test_nobody_else_deletes_or_restores_it(session, applicant, other_applicant, reviewer):
    record = _draft(session, applicant)
    with pytest.raises(NotFound):
        storage.delete_draft(
            session=session, user=other_applicant, application_id=record.id, expected_version=1
        )
    with pytest.raises(storage.Forbidden):  # reviewers change no application
        storage.delete_draft(
            session=session, user=reviewer, application_id=record.id, expected_version=1
        )
    _delete(session, applicant, record)
    for someone in (other_applicant, reviewer):
        with pytest.raises(NotFound):
            storage.restore_draft(session=session, user=someone, application_id=record.id)
        assert storage.list_deleted_drafts(session=session, user=someone) == []


def test_a_stale_tab_cannot_delete(session, applicant):
    record = _draft(session, applicant)
    storage.save_draft(
        session=session,
        user=applicant,
        application_id=record.id,
        data=record.data,
        expected_version=record.version,
    )
    session.commit()
    with pytest.raises(storage.StaleVersion):
        _delete(session, applicant, record)


def test_its_siret_is_free_for_a_new_draft_and_restore_then_says_why_not(session, applicant):
    record = _draft(session, applicant)
    _delete(session, applicant, record)
    again = _draft(session, applicant)  # same SIRET, same call: allowed once the first is gone
    with pytest.raises(NotRestorable, match=f"n° {again.id}"):
        storage.restore_draft(session=session, user=applicant, application_id=record.id)


def test_restorable_for_30_days_then_purged(session, applicant, monkeypatch):
    record = _draft(session, applicant, siret=None)
    _delete(session, applicant, record)
    _later(monkeypatch, 29)
    assert storage.purge_deleted_drafts(session=session) == 0
    assert [r.id for r in storage.list_deleted_drafts(session=session, user=applicant)] == [
        record.id
    ]
    _later(monkeypatch, 31)
    assert storage.list_deleted_drafts(session=session, user=applicant) == []
    with pytest.raises(NotFound):
        storage.restore_draft(session=session, user=applicant, application_id=record.id)
    assert storage.purge_deleted_drafts(session=session) == 1
    session.commit()
    assert storage.purge_deleted_drafts(session=session) == 0
