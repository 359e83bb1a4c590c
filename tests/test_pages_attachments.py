"""File questions in the browser's place (AppTest): upload, replace, refuse, remove; the summary
and the reviewer's dossier list the files with a download each.

The e2e server reads the shipped calls only (core.calls.CALLS_DIR, no setting chooses another
directory), so the test call with file questions runs here, in-process, through AppTest.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core import storage
from core.formatting import describe_attachment
from core.models import Application
from tests.attachment_call import pieces_call, pieces_reviewer  # noqa: F401 (fixtures)
from tests.builders import complete_application
from tests.files import encrypted_pdf_file, image_file, pdf_file
from tests.test_pages_applicant import Portal

TODAY = dt.date(2021, 3, 1)
STEP = 4  # the test questionnaire asks its files on the commitments step


@pytest.fixture
def reviewer(pieces_reviewer):  # noqa: F811 (the imported fixture)
    """The reviewer of these tests reads the test call (see tests/attachment_call.py)."""
    return pieces_reviewer


@pytest.fixture(autouse=True)
def _env(app_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def portal(session, applicant, pieces_call):  # noqa: F811
    record = storage.create_application(
        session=session,
        user=applicant,
        call_id=pieces_call,
        data=Application.model_validate(complete_application(pieces_call)),
    )
    session.commit()
    portal = Portal(session, applicant)
    portal.dossier = record.id
    return portal.open(STEP)


def _uploader(portal: Portal, ident: str = "support_letter"):
    prefix = f"f:{portal.dossier}:attachments.{ident}:upload:"
    return next(u for u in portal.at.file_uploader if u.key.startswith(prefix))


def _upload(portal: Portal, name: str, content: bytes, ident: str = "support_letter") -> Portal:
    _uploader(portal, ident).set_value((name, content, "application/octet-stream"))
    portal.at.run()
    portal.check()
    return portal


def _errors(portal: Portal) -> str:
    return " ".join(portal.texts("error")).replace("\\", "")


def _button(portal: Portal, suffix: str, ident: str = "support_letter"):
    return portal.at.button(key=f"f:{portal.dossier}:attachments.{ident}:{suffix}")


def test_upload_shows_the_stored_file_then_replace_and_remove(portal):
    letter = pdf_file("Lettre de soutien")
    _upload(portal, "Lettre EPT.pdf", letter)
    ref = portal.stored().attachments["support_letter"]
    assert (ref.filename, ref.size) == ("Lettre EPT.pdf", len(letter))
    assert f"Fichier joint : {describe_attachment(ref)}" in portal.all_text()

    _button(portal, "replace_button").click().run()
    _upload(portal, "photo de la lettre.png", image_file("PNG"))
    assert portal.stored().attachments["support_letter"].media_type == "image/png"
    assert "Fichier joint : photo de la lettre.png" in portal.all_text()

    _button(portal, "remove").click().run()
    portal.check()
    assert portal.stored().attachments == {}
    assert _uploader(portal) is not None


def test_a_refused_file_says_why_and_keeps_the_stored_one(portal):
    _upload(portal, "lettre.pdf", pdf_file("La bonne lettre"))
    kept = portal.stored().attachments["support_letter"]
    _button(portal, "replace_button").click().run()
    _upload(portal, "lettre protégée.pdf", encrypted_pdf_file())
    errors = _errors(portal)
    assert "protégé par un mot de passe" in errors
    assert "Le fichier déjà joint est conservé." in errors
    assert portal.stored().attachments["support_letter"] == kept
    portal.at.run()  # another rerun does not try the same file again, the message stays
    portal.check()
    assert "protégé par un mot de passe" in _errors(portal)


def test_a_png_named_pdf_is_refused_for_a_pdf_only_piece(portal):
    _upload(portal, "budget.pdf", image_file("PNG"), ident="budget")
    assert "Ce fichier est un document PNG ; cette pièce doit être au format PDF" in _errors(portal)
    assert portal.stored().attachments == {}


def test_uploader_takes_only_the_question_s_kinds(portal):
    assert sorted(_uploader(portal).allowed_type) == [".jpeg", ".jpg", ".pdf", ".png"]
    assert _uploader(portal, "budget").allowed_type == [".pdf"]


def test_summary_lists_the_files_with_a_download_each(portal):
    _upload(portal, "lettre.pdf", pdf_file())
    portal.open(5)
    text = portal.all_text()
    assert "Pièces jointes" in [s.value for s in portal.at.subheader]
    assert "lettre.pdf (" in text
    assert portal.stored().attachments["support_letter"].sha256 in text
    assert portal.at.get("download_button")


def test_reviewer_dossier_lists_the_files(portal, session, reviewer):
    _upload(portal, "lettre.pdf", pdf_file())
    at = Portal(session, reviewer).at
    at.query_params["id"] = str(portal.dossier)
    at.switch_page("pages/reviewer_dossier.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Pièces jointes du brouillon" in [s.value for s in at.subheader]
    assert any("lettre.pdf (" in m.value.replace("\\", "") for m in at.markdown)
    assert at.get("download_button")


def test_a_download_reads_the_file_with_the_checked_user(portal, session, other_applicant):
    from core.storage import NotFound
    from pages.attachment_list import _producer

    content = pdf_file("à télécharger")
    _upload(portal, "lettre.pdf", content)
    produce = _producer(portal.dossier, "support_letter")
    assert produce(session, portal.user) == content
    with pytest.raises(NotFound):
        produce(session, other_applicant)
