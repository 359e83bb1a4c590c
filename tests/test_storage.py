"""Storage: who may read and write what, optimistic locking, duplicates, frozen submissions."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import accounts, storage
from core.db import ApplicationRow, SubmissionRow, session_scope
from core.models import Application, Status, Verdict
from core.storage import (
    AlreadySubmitted,
    DuplicateApplication,
    Forbidden,
    NotFound,
    NotSubmittable,
    PdfHashAlreadySet,
    StaleVersion,
)
from tests.conftest import OTHER_93_SIRETS, SAINT_DENIS_SIRET, TEST_PASSWORD, WAVE1

ELIGIBLE = Verdict(status=Status.ELIGIBLE)


def _submit(session, user, record, verdict=ELIGIBLE, **kwargs):
    return storage.submit_application(
        session=session,
        user=user,
        application_id=record.id,
        expected_version=record.version,
        verdict=verdict,
        call_version="2020-11-17.1",
        commitments_version="2020-11-17",
        **kwargs,
    )


@pytest.fixture
def draft(session, applicant, make_application):
    record = storage.create_application(
        session=session, user=applicant, call_id=WAVE1, data=make_application()
    )
    session.commit()
    return record


@pytest.fixture
def submitted(session, applicant, make_application):
    record = storage.create_application(
        session=session,
        user=applicant,
        call_id=WAVE1,
        data=make_application(siret=OTHER_93_SIRETS[2]),
    )
    submission = _submit(session, applicant, record)
    session.commit()
    return submission


# --- ownership matrix ----------------------------------------------------------------------

OPERATIONS = {
    "get": lambda s, u, d, sub: storage.get_application(session=s, user=u, application_id=d.id),
    "save_draft": lambda s, u, d, sub: storage.save_draft(
        session=s, user=u, application_id=d.id, data=d.data, expected_version=d.version
    ),
    "submit": lambda s, u, d, sub: _submit(s, u, d),
    "get_submission": lambda s, u, d, sub: storage.get_submission(
        session=s, user=u, application_id=sub.application_id
    ),
    "set_pdf_hash": lambda s, u, d, sub: storage.set_submission_pdf_hash(
        session=s, user=u, submission_id=sub.id, pdf_sha256="a" * 64
    ),
    "audit": lambda s, u, d, sub: storage.list_audit_events(session=s, user=u, application_id=d.id),
}
WRITES = {"save_draft", "submit", "set_pdf_hash"}

# What each actor gets for an application owned by `applicant`.
EXPECTED = {
    "owner": dict.fromkeys(OPERATIONS, None),
    "other_applicant": dict.fromkeys(OPERATIONS, NotFound),
    "reviewer": {op: Forbidden if op in WRITES else None for op in OPERATIONS},
    "admin": {op: Forbidden if op in WRITES else None for op in OPERATIONS},
    # Prefectures see the submitted applications of their departments only, never drafts.
    "prefecture_93": {
        "get": NotFound,  # the draft
        "save_draft": NotFound,
        "submit": NotFound,
        "get_submission": None,
        "set_pdf_hash": Forbidden,  # readable, so « forbidden » leaks nothing
        "audit": NotFound,
    },
    "prefecture_elsewhere": dict.fromkeys(OPERATIONS, NotFound),
    # Reviewers read the calls of their scope only (the applications here are wave 1).
    "reviewer_of_this_call": {op: Forbidden if op in WRITES else None for op in OPERATIONS},
    "reviewer_of_another_call": dict.fromkeys(OPERATIONS, NotFound),
    "reviewer_of_a_call_not_loaded": dict.fromkeys(OPERATIONS, NotFound),
}


def _scoped_reviewer(session, email: str, calls: str):
    return accounts.create_user(
        session=session, email=email, name="Instructeur", password=TEST_PASSWORD,
        role=storage.Role.REVIEWER, calls=calls, known_calls_only=False,
    )  # fmt: skip


@pytest.fixture
def reviewer_of_this_call(session):
    return _scoped_reviewer(session, "vague1@anct.gouv.fr", WAVE1)


@pytest.fixture
def reviewer_of_another_call(session):
    return _scoped_reviewer(session, "vague2@anct.gouv.fr", "cnfs-2021-structures-privees")


@pytest.fixture
def reviewer_of_a_call_not_loaded(session):
    return _scoped_reviewer(session, "agent@seinesaintdenis.fr", "cd93-2021-numerique-inclusif")


@pytest.fixture
def prefecture_93(session):
    return accounts.create_user(
        session=session, email="pref@seine-saint-denis.gouv.fr", name="Préfecture 93",
        password=TEST_PASSWORD, role=storage.Role.PREFECTURE, departments="93",
    )  # fmt: skip


@pytest.fixture
def prefecture_elsewhere(session):
    return accounts.create_user(
        session=session, email="pref@loire.gouv.fr", name="Préfecture 42",
        password=TEST_PASSWORD, role=storage.Role.PREFECTURE, departments="42,95",
    )  # fmt: skip


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("actor", EXPECTED)
def test_ownership_matrix(request, session, applicant, draft, submitted, actor, operation):
    user = applicant if actor == "owner" else request.getfixturevalue(actor)
    expected = EXPECTED[actor][operation]
    call = OPERATIONS[operation]
    if expected is None:
        call(session, user, draft, submitted)
    else:
        with pytest.raises(expected):
            call(session, user, draft, submitted)


@pytest.mark.parametrize(
    "actor",
    [
        "other_applicant",
        "prefecture_elsewhere",
        "prefecture_93",
        "reviewer_of_another_call",
        "reviewer_of_a_call_not_loaded",
    ],
)
@pytest.mark.parametrize("operation", ["get", "save_draft", "submit", "audit"])
def test_other_account_looks_exactly_like_a_missing_id(
    request, session, draft, submitted, operation, actor
):
    other_applicant = request.getfixturevalue(actor)
    missing = draft.model_copy(update={"id": 999_999})
    with pytest.raises(NotFound) as not_yours:
        OPERATIONS[operation](session, other_applicant, draft, submitted)
    with pytest.raises(NotFound) as absent:
        OPERATIONS[operation](session, other_applicant, missing, submitted)
    assert str(not_yours.value).replace(str(draft.id), "N") == str(absent.value).replace(
        "999999", "N"
    )


@pytest.mark.parametrize("actor", ["reviewer", "admin"])
def test_review_accounts_cannot_create(request, session, actor, make_application):
    with pytest.raises(Forbidden, match="consulter"):
        storage.create_application(
            session=session,
            user=request.getfixturevalue(actor),
            call_id=WAVE1,
            data=make_application(),
        )


def test_lists_are_scoped_by_role(
    session, applicant, other_applicant, reviewer, admin, make_application
):
    mine = storage.create_application(
        session=session, user=applicant, call_id=WAVE1, data=make_application()
    )
    theirs = storage.create_application(
        session=session,
        user=other_applicant,
        call_id=WAVE1,
        data=make_application(siret=OTHER_93_SIRETS[0]),
    )
    ids = lambda user, **kw: [  # noqa: E731
        r.id for r in storage.list_applications(session=session, user=user, **kw)
    ]
    assert ids(applicant) == [mine.id]
    assert ids(other_applicant) == [theirs.id]
    assert ids(reviewer) == [mine.id, theirs.id]
    assert ids(admin) == [mine.id, theirs.id]
    assert ids(reviewer, call_id="cnfs-2021-structures-privees") == []


# --- drafts ----------------------------------------------------------------------------------


def test_create_stores_answers_and_copies_filter_columns(session, applicant, make_application):
    record = storage.create_application(
        session=session, user=applicant, call_id=WAVE1, data=make_application(count=3)
    )
    assert record.status == "draft"
    assert record.version == 1
    assert record.owner_email == applicant.email
    assert record.data.posts.count == 3
    assert record.data.call_id == WAVE1
    assert record.created_at.tzinfo is not None

    row = session.get(ApplicationRow, record.id)
    assert (row.siret, row.department, row.structure_type, row.posts_count) == (
        SAINT_DENIS_SIRET,
        "93",
        "commune",
        3,
    )
    assert (row.coordinator_count, row.qpv, row.france_services) == (0, True, False)


def test_create_refuses_an_unknown_call(session, applicant):
    with pytest.raises(KeyError, match="Appel inconnu"):
        storage.create_application(session=session, user=applicant, call_id="no-such-call")


def test_save_draft_bumps_version_and_keeps_answers(session, applicant, draft):
    changed = draft.data.model_copy(deep=True)
    changed.posts.count = 5
    saved = storage.save_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        data=changed,
        expected_version=draft.version,
        verdict_status="eligible",
    )
    assert saved.version == draft.version + 1
    assert saved.verdict_status == "eligible"
    again = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert again.data.posts.count == 5
    assert again.version == saved.version


def test_saved_record_is_what_the_database_now_holds(session, applicant, draft):
    # save_draft builds its answer without reading the row back: it must match a fresh read.
    changed = draft.data.model_copy(deep=True)
    changed.structure.commune = "Saint-Denis"
    changed.posts.start_date = None
    saved = storage.save_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        data=changed,
        expected_version=draft.version,
        verdict_status="incomplete",
    )
    session.commit()
    again = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert saved == again


def test_save_from_an_old_version_is_refused(session, applicant, draft):
    storage.save_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        data=draft.data,
        expected_version=draft.version,
    )
    older_tab = draft.data.model_copy(deep=True)
    older_tab.posts.count = 9
    with pytest.raises(StaleVersion, match="autre onglet"):
        storage.save_draft(
            session=session,
            user=applicant,
            application_id=draft.id,
            data=older_tab,
            expected_version=draft.version,
        )
    current = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert current.data.posts.count == 2


def test_submitted_application_cannot_be_saved(session, applicant, submitted):
    record = storage.get_application(
        session=session, user=applicant, application_id=submitted.application_id
    )
    with pytest.raises(AlreadySubmitted, match="déjà été déposée"):
        storage.save_draft(
            session=session,
            user=applicant,
            application_id=record.id,
            data=Application(),
            expected_version=record.version,
        )
    after = storage.get_submission(
        session=session, user=applicant, application_id=submitted.application_id
    )
    assert after.data == submitted.data


# --- one application per SIRET per call -------------------------------------------------------


def test_same_siret_twice_from_the_same_account_points_to_the_first(
    session, applicant, draft, make_application
):
    with pytest.raises(DuplicateApplication) as exc:
        storage.create_application(
            session=session,
            user=applicant,
            call_id=WAVE1,
            data=make_application(siret="219 300 662 00018"),
        )
    assert exc.value.existing_id == draft.id
    assert str(draft.id) in str(exc.value)


def test_same_siret_from_another_account_leaks_nothing(
    session, other_applicant, draft, make_application
):
    with pytest.raises(DuplicateApplication) as exc:
        storage.create_application(
            session=session, user=other_applicant, call_id=WAVE1, data=make_application()
        )
    assert exc.value.existing_id is None
    assert "autre compte" in str(exc.value)
    assert str(draft.id) not in str(exc.value)
    assert draft.owner_email not in str(exc.value)


def test_changing_a_draft_to_a_taken_siret_is_refused(
    session, applicant, other_applicant, draft, make_application
):
    theirs = storage.create_application(
        session=session,
        user=other_applicant,
        call_id=WAVE1,
        data=make_application(siret=OTHER_93_SIRETS[0]),
    )
    with pytest.raises(DuplicateApplication):
        storage.save_draft(
            session=session,
            user=other_applicant,
            application_id=theirs.id,
            data=make_application(siret=SAINT_DENIS_SIRET),
            expected_version=theirs.version,
        )


def test_same_siret_in_another_call_is_allowed(session, applicant, draft, make_application):
    other = storage.create_application(
        session=session,
        user=applicant,
        call_id="cnfs-2021-structures-privees",
        data=make_application(),
    )
    assert other.data.structure.siret == SAINT_DENIS_SIRET


def test_drafts_without_siret_do_not_collide(session, applicant):
    first = storage.create_application(session=session, user=applicant, call_id=WAVE1)
    second = storage.create_application(session=session, user=applicant, call_id=WAVE1)
    assert first.id != second.id


def test_hostile_answers_are_kept_without_breaking_the_filter_columns(
    session, applicant, other_applicant, make_application
):
    # Too long for the SIRET column, a department that does not exist, an absurd count.
    hostile = make_application(siret="1" * 400, department="Seine-Saint-Denis", count=10**12)
    first = storage.create_application(session=session, user=applicant, call_id=WAVE1, data=hostile)
    assert first.data.structure.siret == "1" * 400  # kept as typed, for the user to fix
    assert first.data.posts.count == 10**12
    # The same mistyped SIRET from another account is not taken for an existing structure.
    second = storage.create_application(
        session=session, user=other_applicant, call_id=WAVE1, data=hostile
    )
    assert second.id != first.id


# --- submission -----------------------------------------------------------------------------


def test_submission_freezes_a_snapshot(session, applicant, draft):
    submission = _submit(session, applicant, draft, pdf_sha256=None)
    assert submission.dossier_number == f"CNFS-{submission.submitted_at.year}-{draft.id:06d}"
    assert submission.data == draft.data
    assert submission.verdict.status == Status.ELIGIBLE
    assert (submission.call_version, submission.commitments_version) == (
        "2020-11-17.1",
        "2020-11-17",
    )
    record = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert record.status == "submitted"
    assert record.submission == submission
    actions = [
        e.action
        for e in storage.list_audit_events(session=session, user=applicant, application_id=draft.id)
    ]
    assert actions == ["created", "submitted"]


@pytest.mark.parametrize("status", [Status.INELIGIBLE, Status.INCOMPLETE])
def test_ineligible_or_incomplete_cannot_be_submitted(session, applicant, draft, status):
    with pytest.raises(NotSubmittable, match="ne peut pas être déposée"):
        _submit(session, applicant, draft, verdict=Verdict(status=status))
    record = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert record.status == "draft"


def test_to_examine_can_be_submitted(session, applicant, draft):
    submission = _submit(session, applicant, draft, verdict=Verdict(status=Status.TO_EXAMINE))
    assert submission.verdict.status == Status.TO_EXAMINE


def test_the_application_carries_its_submission_date_for_the_listing(session, applicant, draft):
    submission = _submit(session, applicant, draft)
    session.commit()
    row = session.get(ApplicationRow, draft.id)
    assert row.submitted_at == submission.submitted_at
    assert row.submitted_at is not None


def test_submitting_twice_is_refused(session, applicant, draft):
    _submit(session, applicant, draft)
    with pytest.raises(AlreadySubmitted):
        _submit(session, applicant, draft)


def test_submitting_a_stale_version_is_refused(session, applicant, draft):
    storage.save_draft(
        session=session,
        user=applicant,
        application_id=draft.id,
        data=draft.data,
        expected_version=draft.version,
    )
    with pytest.raises(StaleVersion):
        _submit(session, applicant, draft)


def test_pdf_hash_is_set_once(session, applicant, submitted):
    set_hash = lambda h: storage.set_submission_pdf_hash(  # noqa: E731
        session=session, user=applicant, submission_id=submitted.id, pdf_sha256=h
    )
    set_hash("a" * 64)
    set_hash("a" * 64)  # the same hash again: a retried request, accepted
    with pytest.raises(PdfHashAlreadySet):
        set_hash("b" * 64)
    after = storage.get_submission(
        session=session, user=applicant, application_id=submitted.application_id
    )
    assert after.pdf_sha256 == "a" * 64


def test_get_submission_of_a_draft_is_not_found(session, applicant, draft):
    with pytest.raises(NotFound):
        storage.get_submission(session=session, user=applicant, application_id=draft.id)


# --- concurrency ------------------------------------------------------------------------------


def test_concurrent_submissions_make_exactly_one(engine, applicant, draft):
    threads = 8
    barrier = threading.Barrier(threads)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            with session_scope(engine) as s:
                _submit(s, applicant, draft)
        except StaleVersion:
            return "refused"
        return "submitted"

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(attempt, range(threads)))
    assert sorted(outcomes) == ["refused"] * (threads - 1) + ["submitted"]
    with Session(engine) as s:
        count = s.execute(select(func.count()).select_from(SubmissionRow)).scalar_one()
    assert count == 1


def test_concurrent_saves_of_the_same_version_keep_one(engine, applicant, draft):
    threads = 6
    barrier = threading.Barrier(threads)

    def attempt(n: int) -> str:
        data = draft.data.model_copy(deep=True)
        data.posts.count = 10 + n
        barrier.wait()
        try:
            with session_scope(engine) as s:
                storage.save_draft(
                    session=s,
                    user=applicant,
                    application_id=draft.id,
                    data=data,
                    expected_version=draft.version,
                )
        except StaleVersion:
            return "refused"
        return "saved"

    with ThreadPoolExecutor(threads) as pool:
        outcomes = list(pool.map(attempt, range(threads)))
    assert outcomes.count("saved") == 1
    with session_scope(engine) as s:
        final = storage.get_application(session=s, user=applicant, application_id=draft.id)
    assert final.version == draft.version + 1


def test_fifty_concurrent_writers_on_their_own_drafts(engine, session, make_application):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's single-writer lock is the case at risk")
    from core import accounts

    writers = 50
    users = [
        accounts.create_user(
            session=session,
            email=f"mairie{n}@exemple.fr",
            name=f"Mairie {n}",
            password="mot-de-passe-2021",
        )
        for n in range(writers)
    ]
    session.commit()
    barrier = threading.Barrier(writers)

    def write(n: int) -> int:
        user = users[n]
        barrier.wait()
        with session_scope(engine) as s:
            record = storage.create_application(session=s, user=user, call_id=WAVE1)
        version = record.version
        for count in range(1, 4):
            data = make_application(siret=None, count=count)
            with session_scope(engine) as s:
                version = storage.save_draft(
                    session=s,
                    user=user,
                    application_id=record.id,
                    data=data,
                    expected_version=version,
                ).version
        return version

    with ThreadPoolExecutor(writers) as pool:
        versions = list(pool.map(write, range(writers)))
    assert versions == [4] * writers


# --- the Département 93 AMI: one dossier per SIRET *and* territory --------------------------

CD93 = "cd93-2021-numerique-inclusif"


def _project(territory: str | None, siret: str = SAINT_DENIS_SIRET) -> Application:
    return Application.model_validate(
        {"call_id": CD93, "structure": {"siret": siret}, "project": {"territory": territory}}
    )


def test_one_porteur_files_one_dossier_per_territory(session, applicant):
    t6 = storage.create_application(
        session=session, user=applicant, call_id=CD93, data=_project("T6")
    )
    t8 = storage.create_application(
        session=session, user=applicant, call_id=CD93, data=_project("T8")
    )
    assert t6.id != t8.id
    with pytest.raises(DuplicateApplication) as exc:
        storage.create_application(
            session=session, user=applicant, call_id=CD93, data=_project("T8")
        )
    assert exc.value.existing_id == t8.id
    assert "territoire T8" in str(exc.value) and "autre territoire" in str(exc.value)


def test_moving_a_dossier_onto_a_taken_territory_is_refused(session, applicant):
    storage.create_application(session=session, user=applicant, call_id=CD93, data=_project("T6"))
    t7 = storage.create_application(
        session=session, user=applicant, call_id=CD93, data=_project("T7")
    )
    with pytest.raises(DuplicateApplication):
        storage.save_draft(
            session=session,
            user=applicant,
            application_id=t7.id,
            data=_project("T6"),
            expected_version=t7.version,
        )


def test_cnfs_calls_stay_unique_per_siret_alone(session, applicant):
    data = Application.model_validate({"structure": {"siret": SAINT_DENIS_SIRET}})
    storage.create_application(session=session, user=applicant, call_id=WAVE1, data=data)
    assert storage.unique_scope(data.model_copy(update={"call_id": WAVE1})) == ""
    with pytest.raises(DuplicateApplication):
        storage.create_application(session=session, user=applicant, call_id=WAVE1, data=data)


def test_a_93_dossier_number_carries_the_calls_prefix(session, applicant):
    record = storage.create_application(
        session=session, user=applicant, call_id=CD93, data=_project("T9")
    )
    submission = _submit(session, applicant, record)
    assert submission.dossier_number == f"CD93-{submission.submitted_at.year}-{record.id:06d}"
