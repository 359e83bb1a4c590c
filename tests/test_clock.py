"""core.clock: the pinned date of demos and tests is the same day for today() and now()."""

from __future__ import annotations

import datetime as dt

import pytest

from core import clock


@pytest.mark.parametrize(
    "utc",
    [
        dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC),  # already 2 December in Paris
        dt.datetime(2026, 7, 1, 22, 15, tzinfo=dt.UTC),  # summer time: 00:15 in Paris
        dt.datetime(2026, 12, 1, 0, 5, tzinfo=dt.UTC),
    ],
)
def test_on_a_pinned_date_now_falls_on_that_day_in_paris(monkeypatch, utc):
    monkeypatch.setenv("CNFS_TODAY", "2021-02-10")
    monkeypatch.setattr(clock, "_utc_now", lambda: utc)
    moment = clock.now()
    assert moment.tzinfo is not None and moment.utcoffset() == dt.timedelta(0)
    assert moment.astimezone(clock.PARIS).date() == clock.today() == dt.date(2021, 2, 10)
    assert moment.astimezone(clock.PARIS).time() == utc.astimezone(clock.PARIS).time()


def test_events_of_a_pinned_day_keep_their_order(monkeypatch):
    monkeypatch.setenv("CNFS_TODAY", "2021-02-10")
    # Within a Paris day: 10:00, 21:00 and 23:59 there.
    times = [dt.datetime(2026, 12, 1, h, m, tzinfo=dt.UTC) for h, m in ((9, 0), (20, 0), (22, 59))]
    seen = []
    for t in times:
        monkeypatch.setattr(clock, "_utc_now", lambda t=t: t)
        seen.append(clock.now())
    assert seen == sorted(seen)


def test_without_a_pinned_date_now_is_the_real_time(monkeypatch):
    monkeypatch.delenv("CNFS_TODAY", raising=False)
    utc = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "_utc_now", lambda: utc)
    assert clock.now() == utc
    assert clock.today() == dt.date(2026, 12, 2)


def test_a_dossier_filed_just_after_midnight_in_paris_is_dated_that_day():
    from core import presentation, rules
    from core.calls import get_call
    from core.models import Application
    from core.storage import ApplicationRecord, SubmissionRecord
    from tests.builders import WAVE1, complete_application

    filed = dt.datetime(2021, 2, 10, 23, 30, tzinfo=dt.UTC)  # 00:30 on 11 February in Paris
    data = Application.model_validate(complete_application(WAVE1))
    verdict = rules.evaluate(data, get_call(WAVE1), dt.date(2021, 2, 11))
    submission = SubmissionRecord(
        id=1,
        application_id=1,
        dossier_number="CNFS-2021-000001",
        submitted_at=filed,
        data=data,
        verdict=verdict,
        call_version="v",
        commitments_version="v",
        pdf_sha256=None,
    )
    record = ApplicationRecord(
        id=1,
        call_id=WAVE1,
        owner_id=1,
        owner_email="mairie@example.fr",
        status="submitted",
        data=data,
        version=2,
        created_at=filed,
        updated_at=filed,
        verdict_status=verdict.status.value,
        submission=submission,
    )
    text = presentation.next_step(record, verdict).text
    assert text.startswith("Déposée le 11 février 2021 (dossier CNFS-2021-000001).")
