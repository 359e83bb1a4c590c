"""Reviewer queries: access control, dashboard figures, filters, paging, dossier and PDF."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update
from stdnum.fr import siret as stdnum_siret

from core import (
    review_calendar,
    review_dashboard,
    review_dossier,
    review_listing,
    review_table,
    rules,
    storage,
)
from core.calls import get_call
from core.db import ApplicationRow, SubmissionRow
from core.exports import export_listing, prefect_sheet
from core.formatting import PARIS
from core.models import Application, Status, Verdict
from core.review_listing import ReviewFilters
from core.scale_seed import seed_scale
from core.storage import Forbidden, NotFound
from tests.builders import WAVE1, WAVE2
from tests.review_data import TODAY, populate


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(session, applicant):
    return populate(session, applicant)


# --- who may ask ----------------------------------------------------------------------------

READ_QUERIES = {
    "dashboard": lambda s, u: review_dashboard.dashboard(session=s, user=u),
    "count": lambda s, u: review_listing.count_applications(
        session=s, user=u, filters=ReviewFilters()
    ),
    "list": lambda s, u: review_listing.list_applications(
        session=s, user=u, filters=ReviewFilters()
    ),
    "calendar": lambda s, u: review_calendar.commission_calendar(session=s, user=u),
    "dossier": lambda s, u: review_dossier.get_dossier(session=s, user=u, application_id=1),
    "prefect": lambda s, u: prefect_sheet(session=s, user=u, department_code="93"),
    "export": lambda s, u: export_listing(session=s, user=u, filters=ReviewFilters(), fmt="csv"),
}


@pytest.mark.parametrize("query", READ_QUERIES.values(), ids=READ_QUERIES.keys())
def test_applicant_cannot_use_reviewer_queries(query, session, applicant, apps):
    with pytest.raises(Forbidden):
        query(session, applicant)


@pytest.mark.parametrize("query", READ_QUERIES.values(), ids=READ_QUERIES.keys())
def test_reviewer_and_admin_can_use_them(query, session, reviewer, admin, apps):
    query(session, reviewer)
    query(session, admin)


def test_reviewer_cannot_write_through_storage(session, reviewer, apps):
    """Review is read-only: every write path of the applicant refuses a reviewer."""
    record = review_dossier.get_dossier(
        session=session, user=reviewer, application_id=apps.draft_93
    )
    with pytest.raises(Forbidden):
        storage.create_application(session=session, user=reviewer, call_id=WAVE1)
    with pytest.raises(Forbidden):
        storage.save_draft(
            session=session,
            user=reviewer,
            application_id=apps.draft_93,
            data=Application(call_id=WAVE1),
            expected_version=record.application.version,
        )
    with pytest.raises(Forbidden):
        storage.submit_application(
            session=session,
            user=reviewer,
            application_id=apps.draft_93,
            expected_version=record.application.version,
            verdict=Verdict(status=Status.ELIGIBLE),
            call_version="x",
            commitments_version="x",
        )
    sub_id = session.execute(select(SubmissionRow.id)).scalars().first()
    with pytest.raises(Forbidden):
        storage.set_submission_pdf_hash(
            session=session, user=reviewer, submission_id=sub_id, pdf_sha256="0" * 64
        )


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_counts_and_totals(session, reviewer, apps):
    board = review_dashboard.dashboard(session=session, user=reviewer)
    assert board.total == 5
    assert board.submitted == 4
    assert board.posts_submitted == 3 + 2 + 1 + 4
    assert board.eur_submitted == 10 * 50_000
    assert board.coordinators_submitted == 1
    by_status = board.by_status.set_index("État")["Candidatures"].to_dict()
    assert by_status == {"Déposée": 4, "Brouillon": 1}
    by_verdict = board.by_verdict.set_index("Éligibilité")["Déposées"].to_dict()
    assert by_verdict["À examiner"] == 1  # the coordinator post
    assert by_verdict["Éligible"] == 3
    by_region = board.by_region.set_index("Région")
    assert by_region.loc["Île-de-France", "Déposées"] == 3
    assert by_region.loc["Auvergne-Rhône-Alpes", "Postes demandés (déposées)"] == 3
    by_dep = board.by_department.set_index("Département")
    assert by_dep.loc["93 — Seine-Saint-Denis", "Candidatures"] == 4
    by_type = board.by_structure_type.set_index("Type de structure")
    assert by_type.loc["Commune", "Déposées"] == 2


def test_seine_saint_denis_agreement_counts_both_calls_once(session, reviewer, apps):
    (progress,) = review_dashboard.dashboard(session=session, user=reviewer).agreements
    assert progress.agreement.department == "93"
    assert (progress.agreement.max_posts, progress.agreement.max_eur) == (80, 4_000_000)
    assert progress.posts_requested == 2 + 1 + 4  # submitted, wave 1 and wave 2
    assert progress.eur_requested == 7 * 50_000
    assert progress.applications == 3
    assert progress.draft_posts == 5
    assert progress.posts_ratio == pytest.approx(7 / 80)
    only_wave2 = review_dashboard.dashboard(
        session=session, user=reviewer, call_id=WAVE2
    ).agreements
    assert only_wave2[0].posts_requested == 1


def test_dashboard_for_one_call(session, reviewer, apps):
    board = review_dashboard.dashboard(session=session, user=reviewer, call_id=WAVE2)
    assert (board.total, board.submitted, board.posts_submitted) == (1, 1, 1)


def test_empty_database_dashboard(session, reviewer):
    board = review_dashboard.dashboard(session=session, user=reviewer)
    assert board.total == 0
    assert board.calendar.empty
    assert board.agreements[0].posts_requested == 0


# --- commission calendar --------------------------------------------------------------------


def _set_submitted_at(session, application_id: int, moment: dt.datetime) -> None:
    # Both copies, as a submission at that moment writes them (storage.submit).
    session.execute(
        update(SubmissionRow)
        .where(SubmissionRow.application_id == application_id)
        .values(submitted_at=moment)
    )
    session.execute(
        update(ApplicationRow)
        .where(ApplicationRow.id == application_id)
        .values(submitted_at=moment)
    )
    session.commit()


def test_calendar_puts_each_dossier_on_the_next_review_day(session, reviewer, apps):
    paris = dt.timezone(dt.timedelta(hours=1))  # February: UTC+1
    # 14 February 23:30 in Paris is still before the 15th: examined on 15 February.
    _set_submitted_at(session, apps.montreuil, dt.datetime(2021, 2, 14, 23, 30, tzinfo=paris))
    # 15 February 00:30 in Paris (still the 14th in UTC): examined on 15 March.
    _set_submitted_at(session, apps.ccas_93, dt.datetime(2021, 2, 15, 0, 30, tzinfo=paris))
    _set_submitted_at(session, apps.saint_etienne, dt.datetime(2021, 1, 2, 10, 0, tzinfo=paris))
    calendar = review_calendar.commission_calendar(session=session, user=reviewer, today=TODAY)
    rows = {
        row["Date d'examen"]: (row["Dossiers"], row["Postes demandés"], row["À venir"])
        for row in calendar.to_dict("records")
    }
    assert rows == {
        dt.date(2021, 1, 15): (1, 3, False),
        dt.date(2021, 2, 15): (2, 2 + 1, True),  # Montreuil + the association (10 February)
        dt.date(2021, 3, 15): (1, 4, True),
    }


# --- listing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (ReviewFilters(), {"saint_etienne", "montreuil", "association_93", "ccas_93", "draft_93"}),
        (ReviewFilters(call_id=WAVE2), {"association_93"}),
        (ReviewFilters(departments=("42",)), {"saint_etienne"}),
        (ReviewFilters(regions=("Auvergne-Rhône-Alpes",)), {"saint_etienne"}),
        (ReviewFilters(regions=("Auvergne-Rhône-Alpes",), departments=("93",)), set()),
        (ReviewFilters(statuses=("draft",)), {"draft_93"}),
        (ReviewFilters(verdicts=(Status.TO_EXAMINE.value,)), {"association_93"}),
        (ReviewFilters(structure_types=("ccas",)), {"ccas_93"}),
        (ReviewFilters(coordinator=True), {"association_93"}),
        (ReviewFilters(france_services=True), {"saint_etienne"}),
        (ReviewFilters(qpv=True, statuses=("submitted",)), {"montreuil", "association_93"}),
        (ReviewFilters(search="saint-etienne"), {"saint_etienne"}),  # accents and case ignored
        (ReviewFilters(search="SAINT ÉTIENNE"), {"saint_etienne"}),
        (ReviewFilters(search="liens"), {"association_93"}),
        (ReviewFilters(search="100%"), set()),  # regex and LIKE characters are literal
        (ReviewFilters(search="bobi\x00gny"), {"ccas_93"}),  # a NUL byte: no database error
        (
            ReviewFilters(search="\x00"),
            {"saint_etienne", "montreuil", "association_93", "ccas_93", "draft_93"},
        ),
        (ReviewFilters(search="\u202ebobigny"), {"ccas_93"}),
    ],
)
def test_filters(filters, expected, session, reviewer, apps):
    ids = {name: getattr(apps, name) for name in vars(apps)}
    frame = review_listing.list_applications(
        session=session, user=reviewer, filters=filters, limit=None
    )
    assert set(frame["id"]) == {ids[name] for name in expected}
    assert review_listing.count_applications(
        session=session, user=reviewer, filters=filters
    ) == len(expected)


def test_search_by_siret_prefix(session, reviewer, apps):
    siret = session.execute(
        select(ApplicationRow.siret).where(ApplicationRow.id == apps.ccas_93)
    ).scalar_one()
    frame = review_listing.list_applications(
        session=session, user=reviewer, filters=ReviewFilters(search=siret[:9]), limit=None
    )
    assert list(frame["id"]) == [apps.ccas_93]


def test_listing_columns_are_labelled_in_french(session, reviewer, apps):
    frame = review_listing.list_applications(
        session=session, user=reviewer, filters=ReviewFilters(departments=("42",))
    )
    row = review_table.to_french(frame).iloc[0]
    assert row["Nom de la structure"] == "Commune de Saint-Étienne"
    assert row["Région"] == "Auvergne-Rhône-Alpes"
    assert row["Éligibilité"] == "Éligible"
    assert row["État"] == "Déposée"
    assert row["Montant demandé (€)"] == 150_000
    assert row["Date de dépôt"].date() == TODAY


def test_paging_and_sorting_in_sql(engine, session, reviewer):
    seed_scale(engine, count=60, drafts=7, seed=7)
    filters = ReviewFilters()
    assert review_listing.count_applications(session=session, user=reviewer, filters=filters) == 67
    seen: list[int] = []
    for offset in range(0, 67, 25):
        page = review_listing.list_applications(
            session=session,
            user=reviewer,
            filters=filters,
            sort="posts_count",
            descending=True,
            offset=offset,
            limit=25,
        )
        seen += list(page["id"])
        posts = list(page["posts_count"])
        assert posts == sorted(posts, reverse=True)
    assert len(seen) == len(set(seen)) == 67
    by_date = review_listing.list_applications(
        session=session, user=reviewer, filters=filters, sort="submitted_at", limit=None
    )
    submitted = by_date["submitted_at"].dropna()
    assert submitted.is_monotonic_decreasing
    assert by_date["submitted_at"].iloc[-7:].isna().all()  # drafts last


# --- dossier --------------------------------------------------------------------------------


def test_dossier_has_snapshot_verdict_and_history(session, reviewer, apps):
    dossier = review_dossier.get_dossier(
        session=session, user=reviewer, application_id=apps.association_93
    )
    assert dossier.submission is not None
    assert dossier.submission.verdict.status == Status.TO_EXAMINE
    assert any(r.sources for r in dossier.submission.verdict.reasons)
    # The deposit first saves who files (the declaration), then freezes the snapshot.
    assert [e.action for e in dossier.events] == [
        "created",
        "draft_saved",
        "submitted",
        "pdf_recorded",
    ]


def test_unknown_dossier(session, reviewer):
    with pytest.raises(NotFound):
        review_dossier.get_dossier(session=session, user=reviewer, application_id=999)


def test_dossier_pdf_matches_the_hash_stored_at_submission(session, reviewer, apps):
    dossier = review_dossier.get_dossier(
        session=session, user=reviewer, application_id=apps.montreuil
    )
    pdf = review_dossier.dossier_pdf(dossier)
    assert pdf.content.startswith(b"%PDF")
    assert pdf.matches is True
    session.execute(
        update(SubmissionRow)
        .where(SubmissionRow.application_id == apps.montreuil)
        .values(pdf_sha256="0" * 64)
    )
    session.commit()
    dossier = review_dossier.get_dossier(
        session=session, user=reviewer, application_id=apps.montreuil
    )
    assert review_dossier.dossier_pdf(dossier).matches is False


def test_draft_has_no_pdf(session, reviewer, apps):
    dossier = review_dossier.get_dossier(
        session=session, user=reviewer, application_id=apps.draft_93
    )
    with pytest.raises(NotFound):
        review_dossier.dossier_pdf(dossier)


# --- scale seed -----------------------------------------------------------------------------


def test_scale_seed_inserts_valid_varied_applications(engine, session, reviewer, applicant):
    report = seed_scale(engine, count=200, drafts=20, seed=3)
    assert (report.submitted, report.drafts) == (200, 20)
    rows = session.execute(
        select(ApplicationRow.siret, ApplicationRow.status, ApplicationRow.structure_type)
    ).all()
    assert len(rows) == 220
    assert all(stdnum_siret.is_valid(r.siret) for r in rows)
    assert {r.status for r in rows} == {"submitted", "draft"}
    assert len({r.structure_type for r in rows}) >= 5
    board = review_dashboard.dashboard(session=session, user=reviewer)
    assert board.submitted == 200
    assert len(board.by_department) > 50
    # Ids and sequences stay usable: the applicant can still create an application.
    created = storage.create_application(session=session, user=applicant, call_id=WAVE1)
    assert created.id == 221
    dossier = review_dossier.get_dossier(session=session, user=reviewer, application_id=1)
    assert dossier.submission is not None
    assert review_dossier.dossier_pdf(dossier).matches is None  # seeded without a PDF


def test_every_seeded_verdict_is_the_rules_own(engine, session):
    # A sample of the scale seed: only states production can reach.
    seed_scale(engine, count=150, drafts=60, seed=11)
    rows = session.execute(
        select(ApplicationRow, SubmissionRow).outerjoin(
            SubmissionRow, SubmissionRow.application_id == ApplicationRow.id
        )
    ).all()
    statuses = set()
    for app, sub in rows:
        call = get_call(app.call_id)
        answers = Application.model_validate(sub.data if sub else app.data)
        on = (sub.submitted_at if sub else app.updated_at).astimezone(PARIS).date()
        verdict = rules.evaluate(answers, call, on)
        statuses.add((app.status, verdict.status))
        assert app.verdict_status == verdict.status.value
        assert app.subsidy_eur == verdict.subsidy_eur
        assert app.submitted_at == (sub.submitted_at if sub else None)
        assert (
            storage.filter_columns(answers).items()
            <= {k: getattr(app, k) for k in storage.filter_columns(answers)}.items()
        )
        if sub is not None:
            assert verdict.status in storage.SUBMITTABLE
            assert sub.verdict == verdict.model_dump(mode="json")
    submitted = {v for s, v in statuses if s == "submitted"}
    drafts = {v for s, v in statuses if s == "draft"}
    assert submitted <= storage.SUBMITTABLE and len(submitted) == 2
    assert {Status.INCOMPLETE, Status.INELIGIBLE} <= drafts


@pytest.fixture
def overseas_uplift_of_20_percent(tmp_path, monkeypatch):
    """The shipped calls, wave 1 with a 20 % overseas uplift (the texts give no rate yet)."""
    import yaml

    from core import calls

    folder = tmp_path / "calls"
    folder.mkdir()
    for source in calls.CALLS_DIR.glob("*.yaml"):
        data = yaml.safe_load(source.read_text("utf-8"))
        if data["id"] == WAVE1:
            data["overseas_uplift"]["percent"] = 20
        (folder / source.name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    monkeypatch.setattr(calls, "CALLS_DIR", folder)
    calls.clear_cache()
    yield
    monkeypatch.undo()
    calls.clear_cache()


def test_money_everywhere_is_the_subsidy_the_rules_gave(
    overseas_uplift_of_20_percent, session, reviewer, applicant
):
    """Posts × 50 000 € would say 100 000 € for 2 posts at La Réunion: the rules say 120 000 €,
    and so must the listing, its export and the dashboard."""
    from tests.review_data import make_application

    make_application(
        session, applicant, 1, **{"structure.department": "974", "structure.postcode": "97400",
                                  "posts.count": 2, "posts.coordinator_wanted": False},
    )  # fmt: skip
    frame = review_listing.list_applications(
        session=session, user=reviewer, filters=ReviewFilters()
    )
    assert list(frame["requested_eur"]) == [120_000]
    content, _ = export_listing(session=session, user=reviewer, filters=ReviewFilters(), fmt="csv")
    assert "120000" in content.decode("utf-8-sig").replace(" ", "").replace("\u202f", "")
    assert review_dashboard.dashboard(session=session, user=reviewer).eur_submitted == 120_000
