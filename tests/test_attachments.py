"""Attachments: checked by content, stored with the draft, frozen at submission, read only by
those who may read the dossier."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from core import accounts, attachments, journey, storage
from core.attachments import MAX_BYTES, AttachmentRefused, check_file
from core.db import AttachmentFileRow
from core.models import Application, Status, Verdict
from core.storage import AlreadySubmitted, Forbidden, NotFound, Role, StaleVersion
from tests.attachment_call import pieces_call, pieces_reviewer, reviewer_of_another_call  # noqa: F401 (fixtures)
from tests.builders import complete_application
from tests.conftest import TEST_PASSWORD
from tests.files import EXE, encrypted_pdf_file, image_file, pdf_file

TODAY = dt.date(2021, 3, 1)
ALL = ["pdf", "jpeg", "png"]


@pytest.fixture
def reviewer(pieces_reviewer):  # noqa: F811 (the imported fixture)
    """The reviewer of these tests reads the test call (see tests/attachment_call.py)."""
    return pieces_reviewer


# --- checking a file -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "media_type"),
    [
        (pdf_file(), "lettre.pdf", "application/pdf"),
        (image_file("PNG"), "photo.png", "image/png"),
        (image_file("JPEG"), "photo.jpg", "image/jpeg"),
        (image_file("JPEG"), "photo.JPEG", "image/jpeg"),
    ],
)
def test_real_pdf_and_images_are_taken_with_their_fingerprint(content, name, media_type):
    checked = check_file(content, name, accept=ALL)
    assert checked.ref.media_type == media_type
    assert checked.ref.size == len(content)
    assert checked.ref.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.content == content


def _refusal(content: bytes, name: str = "lettre.pdf", accept=ALL, **kwargs) -> str:
    with pytest.raises(AttachmentRefused) as refused:
        check_file(content, name, accept=accept, **kwargs)
    return str(refused.value)


def test_an_encrypted_pdf_is_refused_with_what_to_send_instead():
    message = _refusal(encrypted_pdf_file())
    assert "protégé par un mot de passe" in message
    assert "sans protection" in message


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n" + b"garbage" * 100,  # a header and nothing a reader can use
        pdf_file()[:300],  # truncated
    ],
)
def test_an_unreadable_pdf_is_refused(content):
    assert "illisible ou endommagé" in _refusal(content)


def test_a_pdf_name_on_a_png_is_refused_by_content():
    message = _refusal(image_file("PNG"), "lettre.pdf")
    assert "annonce un document PDF" in message
    assert "PNG" in message


@pytest.mark.parametrize("name", ["lettre.pdf", "setup.exe", "lettre"])
def test_an_executable_is_refused_whatever_its_name(name):
    message = _refusal(EXE, name)
    assert "n'est pas un document PDF, JPEG ou PNG" in message
    assert "Enregistrez ou exportez le document au format PDF, JPEG ou PNG" in message


def test_a_kind_the_question_does_not_accept_is_refused():
    message = _refusal(image_file("PNG"), "budget.png", accept=["pdf"])
    assert message.startswith(
        "Ce fichier est un document PNG ; cette pièce doit être au format PDF"
    )


def test_ten_megabytes_is_the_limit_to_the_byte():
    limit = b"%PDF-1.4\n" + b"0" * (MAX_BYTES - 9)
    assert "illisible" in _refusal(limit)  # at the limit: size accepted, content then checked
    message = _refusal(limit + b"0")
    assert "la limite est de 10\u202fMo par fichier" in message
    assert "Réduisez-le" in message


def test_an_empty_file_is_refused():
    assert "vide" in _refusal(b"")


def test_a_truncated_image_is_refused():
    assert "illisible ou endommagée" in _refusal(image_file("PNG", (200, 200))[:120], "a.png")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\camille\\Documents\\lettre EPT.pdf", "lettre EPT.pdf"),
        ("LETTRE.PDF", "LETTRE.pdf"),
        ("scan", "scan.pdf"),  # no extension: the real kind's
        ("lettre.docx", "lettre.docx.pdf"),
        ("e\u0301te\u0301 2021.pdf", "été 2021.pdf"),  # NFC
        ("lettre\u202egpj.pdf", "lettregpj.pdf"),  # a bidirectional override is dropped
        ("a\u200bb\x00c\x1f.pdf", "abc.pdf"),  # zero-width and control characters
        ("  ..cachée .pdf", "cachée.pdf"),
        ('a<b>:c|d?"e*.pdf', "a_b__c_d__e_.pdf"),
        ("\x00\x01.pdf", "document.pdf"),
        ("ligne\nsuivante\t.pdf", "ligne suivante.pdf"),
    ],
)
def test_file_names_are_cleaned(raw, clean):
    assert check_file(pdf_file(), raw, accept=ALL).ref.filename == clean


def test_a_long_name_is_bounded_and_keeps_its_extension():
    name = check_file(pdf_file(), "é" * 500 + ".pdf", accept=ALL).ref.filename
    assert len(name) == attachments.FILENAME_MAX_CHARS
    assert name.endswith("é.pdf")


# --- storing with the draft ------------------------------------------------------------------


@pytest.fixture
def draft(session, applicant, pieces_call):  # noqa: F811
    data = Application.model_validate(complete_application(pieces_call))
    record = storage.create_application(
        session=session, user=applicant, call_id=pieces_call, data=data
    )
    session.commit()
    return record


def _store(session, user, record, content=None, name="lettre.pdf", attachment="support_letter"):
    saved, verdict = attachments.store(
        session=session,
        user=user,
        application_id=record.id,
        attachment=attachment,
        filename=name,
        content=pdf_file() if content is None else content,
        expected_version=record.version,
        today=TODAY,
    )
    session.commit()
    return saved, verdict


def _stored_rows(session, application_id):
    return session.execute(
        select(AttachmentFileRow.sha256).where(AttachmentFileRow.application_id == application_id)
    ).scalars().all()  # fmt: skip


def test_a_required_file_is_missing_until_joined(session, applicant, draft):
    assert journey.verdict_for(draft, TODAY).status == Status.INCOMPLETE
    saved, verdict = _store(session, applicant, draft)
    assert "attachments.support_letter" not in verdict.missing
    assert verdict.status != Status.INCOMPLETE


def test_storing_a_file_saves_its_ref_as_a_new_version_with_history(session, applicant, draft):
    content = pdf_file("Budget 2021")
    saved, _ = _store(session, applicant, draft, content, name="Budget 2021.pdf")
    assert saved.version == draft.version + 1
    ref = saved.data.attachments["support_letter"]
    assert (ref.filename, ref.size, ref.media_type) == (
        "Budget 2021.pdf",
        len(content),
        "application/pdf",
    )
    assert ref.sha256 == hashlib.sha256(content).hexdigest()
    again = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert again.data.attachments["support_letter"] == ref
    assert attachments.read(
        session=session, user=applicant, application_id=draft.id, attachment="support_letter"
    ) == (ref, content)
    actions = [e.action for e in storage.list_audit_events(
        session=session, user=applicant, application_id=draft.id
    )]  # fmt: skip
    assert actions[-2:] == ["draft_saved", "attachment_stored"]


def test_replacing_a_file_keeps_only_the_new_content(session, applicant, draft):
    first, _ = _store(session, applicant, draft, pdf_file("v1"))
    second, _ = _store(session, applicant, first, image_file("PNG"), name="photo.png")
    assert second.data.attachments["support_letter"].media_type == "image/png"
    assert _stored_rows(session, draft.id) == [second.data.attachments["support_letter"].sha256]


def test_removing_a_file_takes_its_ref_and_content_away(session, applicant, draft):
    stored, _ = _store(session, applicant, draft)
    removed, verdict = attachments.remove(
        session=session, user=applicant, application_id=draft.id, attachment="support_letter",
        expected_version=stored.version, today=TODAY,
    )  # fmt: skip
    session.commit()
    assert removed.data.attachments == {}
    assert removed.version == stored.version + 1
    assert "attachments.support_letter" in verdict.missing
    assert _stored_rows(session, draft.id) == []


def test_the_same_file_for_two_pieces_is_stored_once_and_kept_while_used(session, applicant, draft):
    content = pdf_file()
    one, _ = _store(session, applicant, draft, content)
    two, _ = _store(session, applicant, one, content, name="budget.pdf", attachment="budget")
    assert len(_stored_rows(session, draft.id)) == 1
    three, _ = attachments.remove(
        session=session, user=applicant, application_id=draft.id, attachment="budget",
        expected_version=two.version, today=TODAY,
    )  # fmt: skip
    session.commit()
    assert (
        attachments.read(
            session=session, user=applicant, application_id=draft.id, attachment="support_letter"
        )[1]
        == content
    )


def test_a_refused_file_changes_nothing_stored(session, applicant, draft):
    stored, _ = _store(session, applicant, draft, pdf_file("gardée"))
    with pytest.raises(AttachmentRefused):
        _store(session, applicant, stored, encrypted_pdf_file())
    session.rollback()
    again = storage.get_application(session=session, user=applicant, application_id=draft.id)
    assert again.version == stored.version
    assert again.data.attachments == stored.data.attachments
    assert len(_stored_rows(session, draft.id)) == 1


def test_a_file_from_a_stale_tab_is_refused_and_not_stored(session, applicant, draft):
    _store(session, applicant, draft, pdf_file("premier onglet"))
    with pytest.raises(StaleVersion):
        _store(session, applicant, draft, pdf_file("second onglet"))  # draft.version is old
    session.rollback()
    assert len(_stored_rows(session, draft.id)) == 1


def test_an_unknown_piece_is_refused(session, applicant, draft):
    with pytest.raises(attachments.NotAFileQuestion):
        _store(session, applicant, draft, attachment="structure_name")


def _submit(session, user, record):
    submission = storage.submit_application(
        session=session, user=user, application_id=record.id, expected_version=record.version,
        verdict=Verdict(status=Status.ELIGIBLE), call_version="1", commitments_version="1",
    )  # fmt: skip
    session.commit()
    return submission


def test_a_submission_freezes_the_files(session, applicant, draft):
    content = pdf_file("déposée")
    stored, _ = _store(session, applicant, draft, content)
    submission = _submit(session, applicant, stored)
    ref = stored.data.attachments["support_letter"]
    assert submission.data.attachments == {"support_letter": ref}
    submitted = storage.get_application(session=session, user=applicant, application_id=draft.id)
    with pytest.raises(AlreadySubmitted):
        _store(session, applicant, submitted, pdf_file("autre"))
    session.rollback()
    with pytest.raises(AlreadySubmitted):
        attachments.remove(
            session=session, user=applicant, application_id=draft.id,
            attachment="support_letter", expected_version=submitted.version, today=TODAY,
        )  # fmt: skip
    session.rollback()
    assert attachments.read(
        session=session, user=applicant, application_id=draft.id, attachment="support_letter"
    ) == (ref, content)


def test_purging_a_deleted_draft_takes_its_files_too(session, applicant, draft, monkeypatch):
    stored, _ = _store(session, applicant, draft)
    storage.delete_draft(
        session=session, user=applicant, application_id=draft.id, expected_version=stored.version
    )
    session.commit()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=storage.DELETED_DRAFTS_KEPT_DAYS + 1)
    monkeypatch.setattr("core.clock.now", lambda: later)
    assert storage.purge_deleted_drafts(session=session) == 1
    session.commit()
    assert session.scalar(select(func.count()).select_from(AttachmentFileRow)) == 0


# --- who reads them: the ownership matrix ----------------------------------------------------


@pytest.fixture
def prefecture_93(session):
    return accounts.create_user(
        session=session, email="pref@seine-saint-denis.gouv.fr", name="Préfecture 93",
        password=TEST_PASSWORD, role=Role.PREFECTURE, departments="93",
    )  # fmt: skip


@pytest.fixture
def prefecture_elsewhere(session):
    return accounts.create_user(
        session=session, email="pref@loire.gouv.fr", name="Préfecture 42",
        password=TEST_PASSWORD, role=Role.PREFECTURE, departments="42,95",
    )  # fmt: skip


@pytest.fixture
def both(session, applicant, draft, pieces_call):  # noqa: F811
    """A draft with its letter, and a submitted application (department 93) with its own."""
    with_letter, _ = _store(session, applicant, draft, pdf_file("brouillon"))
    other = Application.model_validate(
        complete_application(pieces_call, **{"structure.siret": "21930066200018"})
    )
    record = storage.create_application(
        session=session, user=applicant, call_id=pieces_call, data=other
    )
    session.commit()
    record, _ = _store(session, applicant, record, pdf_file("déposée"))
    _submit(session, applicant, record)
    return with_letter, record


OPERATIONS = {
    "read_draft": lambda s, u, d, sub: attachments.read(
        session=s, user=u, application_id=d.id, attachment="support_letter"
    ),
    "read_submitted": lambda s, u, d, sub: attachments.read(
        session=s, user=u, application_id=sub.id, attachment="support_letter"
    ),
    "store": lambda s, u, d, sub: _store(s, u, d, pdf_file("remplacement")),
    "remove": lambda s, u, d, sub: attachments.remove(
        session=s,
        user=u,
        application_id=d.id,
        attachment="support_letter",
        expected_version=d.version,
        today=TODAY,
    ),  # fmt: skip
}
EXPECTED = {
    "owner": dict.fromkeys(OPERATIONS, None),
    "other_applicant": dict.fromkeys(OPERATIONS, NotFound),
    "reviewer": {
        "read_draft": None,
        "read_submitted": None,
        "store": Forbidden,
        "remove": Forbidden,
    },
    # Scoped by call: a reviewer of other calls gets the same answer as for a missing dossier.
    "reviewer_of_another_call": dict.fromkeys(OPERATIONS, NotFound),
    "admin": {"read_draft": None, "read_submitted": None, "store": Forbidden, "remove": Forbidden},
    # Like the dossier: the submitted applications of their departments, never a draft.
    "prefecture_93": {
        "read_draft": NotFound,
        "read_submitted": None,
        "store": NotFound,
        "remove": NotFound,
    },  # fmt: skip
    "prefecture_elsewhere": dict.fromkeys(OPERATIONS, NotFound),
}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("actor", EXPECTED)
def test_attachment_ownership_matrix(request, session, applicant, both, actor, operation):
    user = applicant if actor == "owner" else request.getfixturevalue(actor)
    draft, submitted = both
    expected = EXPECTED[actor][operation]
    if expected is None:
        OPERATIONS[operation](session, user, draft, submitted)
    else:
        with pytest.raises(expected):
            OPERATIONS[operation](session, user, draft, submitted)
        session.rollback()


@pytest.mark.parametrize("actor", ["other_applicant", "prefecture_elsewhere", "prefecture_93"])
def test_someone_elses_file_looks_exactly_like_a_missing_dossier(request, session, both, actor):
    user = request.getfixturevalue(actor)
    draft, _ = both
    with pytest.raises(NotFound) as not_yours:
        attachments.read(session=session, user=user, application_id=draft.id,
                         attachment="support_letter")  # fmt: skip
    with pytest.raises(NotFound) as absent:
        attachments.read(session=session, user=user, application_id=999_999,
                         attachment="support_letter")  # fmt: skip
    assert str(not_yours.value).replace(str(draft.id), "N") == str(absent.value).replace(
        "999999", "N"
    )


def test_a_piece_not_joined_is_not_found_for_its_owner(session, applicant, draft):
    with pytest.raises(NotFound):
        attachments.read(session=session, user=applicant, application_id=draft.id,
                         attachment="budget")  # fmt: skip
