"""Files joined to an application: checked by their content, stored in the database, read back
only by those who may read the dossier.

A file question of the questionnaire (`widget: file`, `path: attachments.<id>`, `accept`) says
what it takes. The answers hold an AttachmentRef (name, size, type, SHA-256); the bytes live in
the attachment_files table, one row per application and fingerprint. A draft's files can be
replaced or removed; a submission freezes the refs in its snapshot and their contents stay.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import unicodedata
import warnings
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock, journey, questionnaire, storage
from core.calls import Call, get_call
from core.db import AttachmentFileRow
from core.formatting import format_size_fr
from core.models import Application, AttachmentRef, Verdict
from core.questionnaire import FormQuestion
from core.storage import ApplicationRecord, NotFound, Role, User

MAX_BYTES = 10 * 2**20  # « 10 Mo au plus » (issue 11)
FILENAME_MAX_CHARS = 120
SECTION = "attachments"


@dataclass(frozen=True)
class Kind:
    accept: str  # the word a questionnaire's `accept` uses
    media_type: str
    extensions: tuple[str, ...]  # the first is the one given to a name without any
    label: str  # how the refusal messages name it


KINDS = (
    Kind("pdf", "application/pdf", (".pdf",), "PDF"),
    Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "JPEG"),
    Kind("png", "image/png", (".png",), "PNG"),
)
_ALIASES = {"jpg": "jpeg"}


class AttachmentRefused(ValueError):
    """A file that is not taken; the message is French and says what to send instead."""


class NotAFileQuestion(KeyError):
    def __init__(self, attachment_id: str) -> None:
        super().__init__(f"Pièce jointe inconnue pour cet appel : {attachment_id}")


@dataclass(frozen=True)
class CheckedFile:
    ref: AttachmentRef
    content: bytes


def _kinds(accept: list[str]) -> list[Kind]:
    wanted = {_ALIASES.get(a.lower().lstrip("."), a.lower().lstrip(".")) for a in accept}
    return [k for k in KINDS if not wanted or k.accept in wanted]


def _accepted_words(kinds: list[Kind]) -> str:
    labels = [k.label for k in kinds]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " ou " + labels[-1]


def _sniff(content: bytes) -> Kind | None:
    """The kind the first bytes announce (the extension is not trusted)."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return KINDS[2]
    if content.startswith(b"\xff\xd8\xff"):
        return KINDS[1]
    # The PDF header may follow a little junk (ISO 32000-1 §7.5.2 readers allow 1 024 bytes).
    if b"%PDF-" in content[:1024]:
        return KINDS[0]
    return None


def _check_pdf(content: bytes) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            raise AttachmentRefused(
                "Ce PDF est protégé par un mot de passe ou chiffré : les instructeurs ne "
                "pourraient pas l'ouvrir. Enregistrez-le sans protection (par exemple « Imprimer "
                "» puis « Enregistrer au format PDF ») et joignez cette copie."
            )
        if len(reader.pages) == 0:
            raise ValueError("no page")
    except AttachmentRefused:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise AttachmentRefused(
            "Ce PDF est illisible ou endommagé. Ouvrez-le sur votre ordinateur pour vérifier "
            "qu'il s'affiche, enregistrez-le à nouveau au format PDF et joignez cette copie."
        ) from exc


def _check_image(content: bytes, kind: Kind) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # An image announcing billions of pixels is refused rather than decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != kind.accept.upper():
                    raise ValueError(image.format)
                image.load()  # decodes it whole: a truncated file fails here
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise AttachmentRefused(
            f"Cette image {kind.label} est illisible ou endommagée. Ouvrez-la sur votre "
            "ordinateur pour vérifier qu'elle s'affiche, enregistrez-la à nouveau, ou "
            "joignez plutôt le document au format PDF."
        ) from exc


# Control (Cc), format (Cf: bidirectional overrides, zero-width), surrogate (Cs), private (Co)
# and unassigned (Cn) characters: invisible or misleading in a name shown to a reviewer.
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}
_RESERVED = set('<>:"/\\|?*')  # not allowed in a file name on Windows, where reviewers save it


def clean_filename(raw: str, kind: Kind) -> str:
    """A name safe to show and to save: no folder, no invisible character, NFC, bounded, and
    ending with an extension of the file's real kind."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(
        "_" if c in _RESERVED else (" " if c.isspace() else c)
        for c in name
        if unicodedata.category(c) not in _DROPPED_CATEGORIES or c.isspace()
    )
    name = " ".join(name.split())
    stem, dot, extension = name.rpartition(".")
    if dot and f".{extension.lower()}" in kind.extensions:
        extension = f".{extension.lower()}"
    else:
        stem, extension = name, kind.extensions[0]
    # No leading dot (a hidden file once saved), no trailing dot or space (Windows drops them).
    stem = stem.strip(" .")[: FILENAME_MAX_CHARS - len(extension)].rstrip(" .") or "document"
    return stem + extension


def _known_extension(raw: str) -> Kind | None:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    return next((k for k in KINDS for ext in k.extensions if name.endswith(ext)), None)


def check_file(
    content: bytes, filename: str, *, accept: list[str], max_bytes: int = MAX_BYTES
) -> CheckedFile:
    """The file and its ref if it is taken; AttachmentRefused (French, says what to send)."""
    kinds = _kinds(accept)
    words = _accepted_words(kinds)
    limit = format_size_fr(max_bytes)
    if len(content) == 0:
        raise AttachmentRefused(
            f"Ce fichier est vide. Joignez le document lui-même, au format {words}."
        )
    if len(content) > max_bytes:
        raise AttachmentRefused(
            f"Ce fichier pèse {format_size_fr(len(content))} : la limite est de {limit} par "
            f"fichier. Réduisez-le (PDF « optimisé » ou « taille réduite », image moins "
            f"définie) et joignez-le à nouveau, au format {words}."
        )
    kind = _sniff(content)
    if kind is None:
        raise AttachmentRefused(
            f"Ce fichier n'est pas un document {words} (son contenu a été vérifié, pas "
            f"seulement son nom). Enregistrez ou exportez le document au format {words}, "
            "puis joignez-le."
        )
    if kind not in kinds:
        raise AttachmentRefused(
            f"Ce fichier est un document {kind.label} ; cette pièce doit être au format "
            f"{words}. Enregistrez-le au format {words}, puis joignez-le."
        )
    named = _known_extension(filename)
    if named is not None and named != kind:
        raise AttachmentRefused(
            f"Le nom de ce fichier annonce un document {named.label}, mais son contenu est "
            f"celui d'un document {kind.label}. Joignez le bon fichier, enregistré au format "
            f"{words}."
        )
    if kind.accept == "pdf":
        _check_pdf(content)
    else:
        _check_image(content, kind)
    ref = AttachmentRef(
        filename=clean_filename(filename, kind),
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        media_type=kind.media_type,
    )
    return CheckedFile(ref=ref, content=content)


# --- the file questions of a call ------------------------------------------------------------


def file_questions(call: Call) -> list[FormQuestion]:
    """The call's file questions, in form order."""
    return [q for q in questionnaire.questions(call) if q.widget == "file"]


def attachment_id(question: FormQuestion) -> str:
    return question.path.partition(".")[2]


def file_question(call: Call, attachment: str) -> FormQuestion:
    found = questionnaire.question(call, f"{SECTION}.{attachment}")
    if found is None or found.widget != "file":
        raise NotAFileQuestion(attachment)
    return found


def kinds_of(question: FormQuestion) -> list[Kind]:
    """The kinds of file a question takes (all three when it says none)."""
    return _kinds(question.question.accept)


def max_bytes_of(question: FormQuestion) -> int:
    """The question's limit, never above the portal's 10 Mo."""
    asked = question.question.max_size_mb
    return min(MAX_BYTES, asked * 2**20) if asked else MAX_BYTES


@dataclass(frozen=True)
class Listed:
    attachment_id: str
    label: str
    ref: AttachmentRef


def listed(application: Application, call: Call) -> list[Listed]:
    """The files joined to an application, in form order (then any the questionnaire lost)."""
    result, seen = [], set()
    for q in file_questions(call):
        ident = attachment_id(q)
        ref = application.attachments.get(ident)
        if ref is not None:
            result.append(Listed(ident, q.label, ref))
            seen.add(ident)
    for ident, ref in application.attachments.items():
        if ident not in seen:
            result.append(Listed(ident, ident, ref))
    return result


# --- storage ---------------------------------------------------------------------------------


def _keep_content(session: Session, user: User, application_id: int, file: CheckedFile) -> None:
    exists = session.execute(
        select(AttachmentFileRow.id).where(
            AttachmentFileRow.application_id == application_id,
            AttachmentFileRow.sha256 == file.ref.sha256,
        )
    ).first()
    if exists is None:
        session.add(
            AttachmentFileRow(
                application_id=application_id,
                sha256=file.ref.sha256,
                size=file.ref.size,
                media_type=file.ref.media_type,
                filename=file.ref.filename,
                content=file.content,
                uploaded_by_id=user.id,
                uploaded_at=clock.now(),
            )
        )
        try:
            session.flush()
        except IntegrityError:  # the same file joined from another tab at this very moment
            raise storage.StaleVersion() from None


def _drop_unused(session: Session, record: ApplicationRecord) -> None:
    """Delete the contents no ref of this draft names any more (replaced or removed files)."""
    if record.status != "draft":
        return  # never reached (saves refuse submitted ones); a submission keeps every file
    used = {ref.sha256 for ref in record.data.attachments.values()}
    query = delete(AttachmentFileRow).where(AttachmentFileRow.application_id == record.id)
    if used:
        query = query.where(AttachmentFileRow.sha256.not_in(sorted(used)))
    session.execute(query.execution_options(synchronize_session=False))


def store(
    *,
    session: Session,
    user: User,
    application_id: int,
    attachment: str,
    filename: str,
    content: bytes,
    expected_version: int,
    today: dt.date,
) -> tuple[ApplicationRecord, Verdict]:
    """Join (or replace) a file on the owner's draft, as one saved change of its answers.

    Checks come first: a refused file (AttachmentRefused), a stale tab (StaleVersion) or a
    submitted application (AlreadySubmitted) write nothing.
    """
    record = journey.writable_draft(
        session=session, user=user, application_id=application_id, expected_version=expected_version
    )
    question = file_question(get_call(record.call_id), attachment)
    checked = check_file(
        content, filename, accept=question.question.accept, max_bytes=max_bytes_of(question)
    )
    # In the caller's transaction: a write that fails below (another tab saved first) is rolled
    # back with the content, so no file is ever stored without the answer naming it.
    _keep_content(session, user, application_id, checked)
    saved, verdict = journey.update_draft(
        session=session,
        user=user,
        application_id=application_id,
        changes={question.path: checked.ref.model_dump()},
        expected_version=expected_version,
        today=today,
    )
    storage._audit(
        session,
        user=user,
        application_id=application_id,
        action="attachment_stored",
        detail=f"{checked.ref.filename} ({checked.ref.sha256})",
    )
    _drop_unused(session, saved)
    session.flush()
    return saved, verdict


def remove(
    *,
    session: Session,
    user: User,
    application_id: int,
    attachment: str,
    expected_version: int,
    today: dt.date,
) -> tuple[ApplicationRecord, Verdict]:
    """Take a file off the owner's draft (its content goes too)."""
    record = storage.get_application(session=session, user=user, application_id=application_id)
    question = file_question(get_call(record.call_id), attachment)
    removed = record.data.attachments.get(attachment)
    saved, verdict = journey.update_draft(
        session=session,
        user=user,
        application_id=application_id,
        changes={question.path: None},
        expected_version=expected_version,
        today=today,
    )
    if removed is not None:
        storage._audit(
            session,
            user=user,
            application_id=application_id,
            action="attachment_removed",
            detail=f"{removed.filename} ({removed.sha256})",
        )
    _drop_unused(session, saved)
    session.flush()
    return saved, verdict


def _readable(session: Session, user: User, application_id: int) -> ApplicationRecord:
    """The application as the dossier each role opens checks it: whoever may not open the
    dossier gets the same NotFound as for a missing one."""
    if user.role in (Role.REVIEWER, Role.ADMIN):
        from core import review_dossier

        return review_dossier.get_dossier(
            session=session, user=user, application_id=application_id
        ).application
    if user.role == Role.PREFECTURE:
        from core import prefecture

        return prefecture.consultation_dossier(
            session=session, user=user, application_id=application_id
        ).application
    return storage.get_application(session=session, user=user, application_id=application_id)


def read(
    *, session: Session, user: User, application_id: int, attachment: str
) -> tuple[AttachmentRef, bytes]:
    """A joined file and its bytes, for those who may read the dossier; NotFound otherwise."""
    record = _readable(session, user, application_id)
    data = record.submission.data if record.submission is not None else record.data
    ref = data.attachments.get(attachment)
    if ref is None:
        raise NotFound(application_id)
    content = session.execute(
        select(AttachmentFileRow.content).where(
            AttachmentFileRow.application_id == application_id,
            AttachmentFileRow.sha256 == ref.sha256,
        )
    ).scalar_one_or_none()
    if content is None:
        raise NotFound(application_id)
    return ref, content
