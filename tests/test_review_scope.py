"""Reviewers scoped by call: every read a reviewer makes stays within the calls of its account.

A reviewer of cnfs-2021-structures-privees never sees a cnfs-2020-collectivites dossier, and
the other way round; out of scope answers exactly like a dossier that does not exist.
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from core import (
    accounts,
    answer_export,
    exports,
    opinions,
    prefecture,
    review_access,
    review_dashboard,
    review_dossier,
    review_listing,
    storage,
)
from core.db import ApplicationRow
from core.review_listing import ReviewFilters
from core.storage import NotFound, Role, User, read_conditions
from tests.builders import WAVE1, WAVE2
from tests.conftest import TEST_PASSWORD
from tests.review_data import TODAY, populate

CD93 = "cd93-2021-numerique-inclusif"  # the Département 93 call


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(session, applicant):
    return populate(session, applicant)


def _reviewer(session, email: str, calls: str) -> User:
    user = accounts.create_user(
        session=session, email=email, name="Instructeur", password=TEST_PASSWORD,
        role=Role.REVIEWER, calls=calls, known_calls_only=False,
    )  # fmt: skip
    session.commit()
    return user


@pytest.fixture
def wave1_reviewer(session) -> User:
    return _reviewer(session, "vague1@anct.gouv.fr", WAVE1)


@pytest.fixture
def wave2_reviewer(session) -> User:
    return _reviewer(session, "vague2@anct.gouv.fr", WAVE2)


@pytest.fixture
def cd93_reviewer(session) -> User:
    return _reviewer(session, "instructeur@seinesaintdenis.fr", CD93)


def _ids(frame) -> set[int]:
    return set(frame["id"].astype(int))


# --- the dossier access check ------------------------------------------------------------------

DOSSIER_READS = {
    "check_readable": lambda s, u, i: storage.check_readable(session=s, user=u, application_id=i),
    "get_application": lambda s, u, i: storage.get_application(session=s, user=u, application_id=i),
    "dossier": lambda s, u, i: review_dossier.get_dossier(session=s, user=u, application_id=i),
    "dossier_pdf": lambda s, u, i: review_dossier.dossier_pdf(
        review_dossier.get_dossier(session=s, user=u, application_id=i)
    ),
    "submission": lambda s, u, i: storage.get_submission(session=s, user=u, application_id=i),
    "history": lambda s, u, i: storage.list_audit_events(session=s, user=u, application_id=i),
    "opinion": lambda s, u, i: opinions.get_opinion(session=s, user=u, application_id=i),
    "opinion_changes": lambda s, u, i: opinions.list_changes(session=s, user=u, application_id=i),
    "consultation": lambda s, u, i: prefecture.consultation_dossier(
        session=s, user=u, application_id=i
    ),
}


@pytest.mark.parametrize("read", DOSSIER_READS.values(), ids=DOSSIER_READS.keys())
@pytest.mark.parametrize(
    ("actor", "readable", "hidden"),
    [
        ("wave1_reviewer", "montreuil", "association_93"),
        ("wave2_reviewer", "association_93", "montreuil"),
    ],
)
def test_a_reviewer_reads_its_calls_dossiers_only(
    request, session, apps, read, actor, readable, hidden
):
    user = request.getfixturevalue(actor)
    read(session, user, getattr(apps, readable))
    with pytest.raises(NotFound) as out_of_scope:
        read(session, user, getattr(apps, hidden))
    with pytest.raises(NotFound) as absent:
        read(session, user, 999_999)
    # The same words as for a number nobody has: the scope reveals nothing.
    hidden_id = str(getattr(apps, hidden))
    assert str(out_of_scope.value).replace(hidden_id, "N") == str(absent.value).replace(
        "999999", "N"
    )


@pytest.mark.parametrize("read", DOSSIER_READS.values(), ids=DOSSIER_READS.keys())
def test_a_reviewer_of_the_93_call_reads_no_cnfs_dossier(session, apps, cd93_reviewer, read):
    for application_id in (apps.montreuil, apps.association_93, apps.draft_93):
        with pytest.raises(NotFound):
            read(session, cd93_reviewer, application_id)


def test_admin_reads_every_call(session, apps, admin):
    for application_id in (apps.montreuil, apps.association_93, apps.draft_93):
        review_dossier.get_dossier(session=session, user=admin, application_id=application_id)


def test_the_sql_scope_says_what_can_read_says(
    session, apps, applicant, wave1_reviewer, wave2_reviewer, cd93_reviewer, admin
):
    """storage.read_conditions (listings, totals) and User.can_read (dossiers) agree."""
    from sqlalchemy import select

    rows = session.execute(select(ApplicationRow)).scalars().all()
    for user in (applicant, wave1_reviewer, wave2_reviewer, cd93_reviewer, admin):
        in_sql = set(
            session.execute(select(ApplicationRow.id).where(*read_conditions(user))).scalars()
        )
        assert in_sql == {r.id for r in rows if user.can_read(r)}, user.email


# --- listing, filters, exports -----------------------------------------------------------------


def test_listing_and_counts_hold_the_scope_only(
    session, apps, wave1_reviewer, wave2_reviewer, cd93_reviewer
):
    wave1 = {apps.saint_etienne, apps.montreuil, apps.ccas_93, apps.draft_93}
    for user, expected in (
        (wave1_reviewer, wave1),
        (wave2_reviewer, {apps.association_93}),
        (cd93_reviewer, set()),
    ):
        frame = review_listing.list_applications(
            session=session, user=user, filters=ReviewFilters()
        )
        assert _ids(frame) == expected
        count = review_listing.count_applications(
            session=session, user=user, filters=ReviewFilters()
        )
        assert count == len(expected)
        records = storage.list_applications(session=session, user=user)
        assert {r.id for r in records} == expected


def test_filtering_on_a_call_outside_the_scope_finds_nothing(session, apps, wave2_reviewer):
    filters = ReviewFilters(call_id=WAVE1)
    assert (
        review_listing.count_applications(session=session, user=wave2_reviewer, filters=filters)
        == 0
    )
    frame = review_listing.list_applications(session=session, user=wave2_reviewer, filters=filters)
    assert frame.empty
    # And no search reaches across: a wave-1 name is not found by the wave-2 reviewer.
    search = ReviewFilters(search="Montreuil")
    assert (
        review_listing.count_applications(session=session, user=wave2_reviewer, filters=search) == 0
    )


def test_the_call_filter_offers_the_scope_calls_only(wave1_reviewer, cd93_reviewer, admin):
    assert list(review_access.readable_calls(wave1_reviewer)) == [WAVE1]
    assert list(review_access.readable_calls(cd93_reviewer)) == [CD93]
    assert list(review_access.readable_calls(admin)) == [WAVE1, WAVE2, CD93]


def test_exports_hold_the_scope_only(session, apps, wave2_reviewer):
    content, rows = exports.export_listing(
        session=session, user=wave2_reviewer, filters=ReviewFilters(), fmt="csv"
    )
    assert rows == 1
    text = content.decode("utf-8-sig")
    assert "Association Les Liens numériques" in text
    assert "Montreuil" not in text and "Saint-Étienne" not in text
    xlsx, rows = exports.export_listing(
        session=session, user=wave2_reviewer, filters=ReviewFilters(), fmt="xlsx"
    )
    sheet = load_workbook(io.BytesIO(xlsx)).active
    names = [str(c.value) for row in sheet.iter_rows(min_row=2) for c in row]
    assert rows == 1 and any("Liens numériques" in n for n in names)
    assert not any("Montreuil" in n for n in names)
    answers, rows = answer_export.answers_csv(
        session=session, user=wave2_reviewer, filters=ReviewFilters()
    )
    lines = list(csv.reader(io.StringIO(answers.decode("utf-8-sig")), delimiter=";"))
    assert [int(line[0]) for line in lines[1:]] == [apps.association_93]
    assert rows == 1


def test_answer_rows_of_a_reviewer_of_another_call_are_empty(session, apps, cd93_reviewer):
    rows = review_listing.answer_rows(session=session, user=cd93_reviewer, filters=ReviewFilters())
    assert rows == []


# --- dashboard, calendar, prefect sheet and follow-up -----------------------------------------


def test_dashboard_counts_the_scope_only(session, apps, wave1_reviewer, wave2_reviewer):
    board = review_dashboard.dashboard(session=session, user=wave2_reviewer)
    assert (board.total, board.submitted, board.posts_submitted) == (1, 1, 1)
    assert set(board.by_structure_type["Type de structure"]) == {"Association"}
    # The 93 agreement, counted on the wave-2 dossier alone (wave-1 ones are out of scope).
    assert [(a.applications, a.posts_requested) for a in board.agreements] == [(1, 1)]
    assert int(board.calendar["Dossiers"].sum()) == 1
    wave1 = review_dashboard.dashboard(session=session, user=wave1_reviewer)
    assert (wave1.total, wave1.submitted) == (4, 3)
    # Asking for a call outside the scope shows nothing rather than failing.
    empty = review_dashboard.dashboard(session=session, user=wave2_reviewer, call_id=WAVE1)
    assert (empty.total, empty.agreements, len(empty.calendar)) == (0, [], 0)


def test_a_reviewer_of_a_call_not_loaded_gets_an_empty_dashboard(session, apps, cd93_reviewer):
    board = review_dashboard.dashboard(session=session, user=cd93_reviewer)
    assert (board.total, board.submitted, board.eur_submitted) == (0, 0, 0)
    assert board.agreements == [] and board.calendar.empty
    board = review_dashboard.dashboard(session=session, user=cd93_reviewer, call_id=CD93)
    assert board.total == 0


def test_prefect_sheet_and_follow_up_hold_the_scope_only(
    session, apps, wave2_reviewer, cd93_reviewer
):
    sheet = exports.prefect_sheet(session=session, user=wave2_reviewer, department_code="93")
    assert [line.application_id for line in sheet.list_a + sheet.list_b] == [apps.association_93]
    empty = exports.prefect_sheet(session=session, user=cd93_reviewer, department_code="93")
    assert empty.candidates == 0
    progress = prefecture.progress(session=session, user=wave2_reviewer)
    assert progress.answered + progress.to_answer == 1
    assert prefecture.progress(session=session, user=cd93_reviewer).by_list.empty
    rows = review_dossier.submitted_rows_of_department(
        session=session, user=wave2_reviewer, department="93"
    )
    assert [r[0] for r in rows] == [WAVE2]


# --- the scope said plainly --------------------------------------------------------------------


def test_scope_summary_names_the_calls_by_title(wave1_reviewer, cd93_reviewer, admin, reviewer):
    assert review_access.scope_summary(wave1_reviewer) == (
        "Appel que vous instruisez : « Conseillers numériques France Services — AMI "
        "collectivités territoriales et leurs groupements (vague 1) »."
    )
    both = review_access.scope_summary(reviewer)
    assert both.startswith("Appels que vous instruisez : « Conseillers numériques")
    assert "(vague 1) » ; « " in both
    assert "Numérique inclusif" in review_access.scope_summary(cd93_reviewer)
    assert "tous les appels" in review_access.scope_summary(admin)


def test_a_scope_with_a_call_not_loaded_says_so(session):
    user = _reviewer(session, "mixte@anct.gouv.fr", f"{WAVE1},cd93-2022-appel-futur")
    summary = review_access.scope_summary(user)
    assert summary.startswith("Appel que vous instruisez : « Conseillers")
    assert "(1 autre appel pas encore ouvert sur ce portail)." in summary


# --- cache keys of the reviewer pages (issue 15) -----------------------------------------------


def test_accounts_share_a_read_scope_only_when_they_read_the_same_rows(
    session, apps, applicant, reviewer, wave1_reviewer, wave2_reviewer, cd93_reviewer, admin
):
    """storage.read_scope keys shared caches: same key, same rows; another scope, another key."""
    from sqlalchemy import select

    def rows(user: User) -> set[int]:
        query = select(ApplicationRow.id).where(*read_conditions(user))
        return set(session.execute(query).scalars())

    users = [applicant, reviewer, wave1_reviewer, wave2_reviewer, cd93_reviewer, admin]
    again = _reviewer(session, "encore-vague1@anct.gouv.fr", WAVE1)
    assert storage.read_scope(again) == storage.read_scope(wave1_reviewer)
    assert rows(again) == rows(wave1_reviewer)
    keys = {storage.read_scope(u) for u in users}
    assert len(keys) == len(users)  # the fixture reviewer reads both waves: not wave 1 alone
    for user in users:
        for other in users:
            if storage.read_scope(user) == storage.read_scope(other):
                assert rows(user) == rows(other)


def test_the_data_version_moves_with_every_change_a_reviewer_sees(
    session, apps, applicant, admin, reviewer
):
    from core.models import Application
    from core.opinions import Opinion, OpinionInput
    from tests.review_data import make_application

    seen = [review_dashboard.data_version(session=session, user=reviewer)]

    def changed() -> None:
        session.commit()
        version = review_dashboard.data_version(session=session, user=reviewer)
        assert version not in seen
        seen.append(version)

    assert review_dashboard.data_version(session=session, user=reviewer) == seen[0]  # nothing new
    new = make_application(session, applicant, 50, submit=False)
    changed()
    record = storage.get_application(session=session, user=applicant, application_id=new)
    data = Application.model_validate(record.data.model_dump())
    data.posts.count = 7
    storage.save_draft(
        session=session,
        user=applicant,
        application_id=new,
        data=data,
        expected_version=record.version,
    )
    changed()
    record = storage.get_application(session=session, user=applicant, application_id=new)
    storage.delete_draft(
        session=session, user=applicant, application_id=new, expected_version=record.version
    )
    changed()
    storage.restore_draft(session=session, user=applicant, application_id=new)
    changed()
    make_application(session, applicant, 51)  # a submission
    changed()
    opinions.write_opinion(
        session,
        user=admin,
        application_id=apps.montreuil,
        value=OpinionInput(opinion=Opinion.POSITIVE, supported_count=2),
        expected_version=0,
        source="screen",
    )
    changed()


def test_the_data_version_is_for_reviewers_only(session, apps, applicant):
    with pytest.raises(storage.Forbidden):
        review_dashboard.data_version(session=session, user=applicant)
