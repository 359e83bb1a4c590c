"""Applications, submissions and audit trail, with the ownership check on every call."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import BaseModel
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core import clock, identifiers, questionnaire, reference
from core.calls import get_call
from core.db import (
    ApplicationRow,
    AttachmentFileRow,
    AuditEventRow,
    SubmissionRow,
    UserCallRow,
    UserDepartmentRow,
    UserRow,
)
from core.models import SNAPSHOT, Application, Status, Verdict

SUBMITTABLE = frozenset({Status.ELIGIBLE, Status.TO_EXAMINE})


class Role(StrEnum):
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    ADMIN = "admin"
    PREFECTURE = "prefecture"


ROLE_LABELS_FR = {
    Role.APPLICANT: "Structure candidate",
    Role.REVIEWER: "Instructeur (ANCT)",
    Role.ADMIN: "Administrateur",
    Role.PREFECTURE: "Services préfectoraux",
}

# An application's state, as every screen and export names it.
APPLICATION_STATUS_LABELS_FR = {"draft": "Brouillon", "submitted": "Déposée"}


class _Owned(Protocol):
    owner_id: int
    status: str
    department: str | None
    call_id: str


def consulted_call_ids() -> frozenset[str]:
    """Calls whose submitted applications go to the prefects for an opinion."""
    from core.calls import load_calls

    return frozenset(c.id for c in load_calls().values() if c.prefect_consultation)


class User(BaseModel):
    """The acting user, as storage sees them."""

    id: int
    email: str
    name: str
    role: Role
    departments: tuple[str, ...] = ()  # prefecture accounts: their scope
    calls: tuple[str, ...] = ()  # reviewer accounts: the calls they read (nothing when empty)

    def reads_call(self, call_id: str) -> bool:
        """Whether applications of this call may be shown to this account at all."""
        if self.role == Role.ADMIN:
            return True
        if self.role == Role.REVIEWER:
            return call_id in self.calls
        if self.role == Role.PREFECTURE:
            return call_id in consulted_call_ids()
        return True  # applicants: their own applications, in any call

    def reads_a_consulted_call(self) -> bool:
        """Whether a call this account reads goes to the prefects (the prefect sheet's calls)."""
        return any(self.reads_call(call_id) for call_id in consulted_call_ids())

    def can_read(self, row: _Owned) -> bool:
        """Admins read everything; reviewers the applications of their calls; applicants their
        own; prefectures the submitted applications of their departments in consulted calls.

        read_conditions(user) is the same rule in SQL: change both together."""
        if not self.reads_call(row.call_id):
            return False
        if self.role == Role.PREFECTURE:
            return row.status == "submitted" and row.department in self.departments
        return self.role in (Role.REVIEWER, Role.ADMIN) or row.owner_id == self.id

    def can_write(self, row: _Owned) -> bool:
        """Only the owning applicant writes; review is read-only."""
        return self.role == Role.APPLICANT and row.owner_id == self.id

    @classmethod
    def current(cls, session: Session, user_id: int) -> tuple[User, int] | None:
        """The user as stored now, with its session version (None when the account is gone).

        The login check of every rerun: statements on the transaction's connection, not through
        the ORM (a third of the CPU time per statement, issue 15)."""
        connection = session.connection()
        row = connection.execute(_USER_NOW, {"user_id": user_id}).one_or_none()
        if row is None:
            return None
        role = Role(row.role)
        departments, calls = _role_scope(
            role,
            lambda: connection.execute(_USER_DEPARTMENTS, {"user_id": user_id}).scalars(),
            lambda: connection.execute(_USER_CALLS, {"user_id": user_id}).scalars(),
        )
        user = cls(
            id=row.id,
            email=row.email,
            name=row.name,
            role=role,
            departments=departments,
            calls=calls,
        )
        return user, row.session_version

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        role = Role(row.role)
        departments, calls = _role_scope(
            role,
            lambda: (d.department for d in row.department_rows),
            lambda: (c.call_id for c in row.call_rows),
        )
        return cls(
            id=row.id,
            email=row.email,
            name=row.name,
            role=role,
            departments=departments,
            calls=calls,
        )


def _role_scope(
    role: Role, departments: Callable[[], Iterable[str]], calls: Callable[[], Iterable[str]]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A user's (departments, calls): each is read (one query) only for the role it applies to,
    so an applicant's login check, on every rerun, reads its user row and nothing more."""
    return (
        tuple(sorted(departments())) if role == Role.PREFECTURE else (),
        tuple(sorted(calls())) if role == Role.REVIEWER else (),
    )


_USERS = UserRow.__table__.c
_USER_NOW = select(_USERS.id, _USERS.email, _USERS.name, _USERS.role, _USERS.session_version).where(
    _USERS.id == bindparam("user_id")
)
_USER_DEPARTMENTS = select(UserDepartmentRow.__table__.c.department).where(
    UserDepartmentRow.__table__.c.user_id == bindparam("user_id")
)
_USER_CALLS = select(UserCallRow.__table__.c.call_id).where(
    UserCallRow.__table__.c.user_id == bindparam("user_id")
)


def read_conditions(user: User) -> list[ColumnElement[bool]]:
    """User.can_read as SQL conditions on ApplicationRow: every listing, count and total."""
    a = ApplicationRow
    if user.role == Role.ADMIN:
        return []
    if user.role == Role.REVIEWER:
        return [a.call_id.in_(sorted(user.calls))]
    if user.role == Role.PREFECTURE:
        return [
            a.status == "submitted",
            a.department.in_(sorted(user.departments)),
            a.call_id.in_(sorted(consulted_call_ids())),
        ]
    return [a.owner_id == user.id]


def read_scope(user: User) -> tuple[str, tuple[str, ...]]:
    """What read_conditions(user) and User.reads_call depend on, hashable: accounts with the
    same scope read the same rows, so a result cached under this key may serve them all."""
    if user.role == Role.REVIEWER:
        return (user.role.value, tuple(sorted(set(user.calls))))
    if user.role == Role.PREFECTURE:
        return (user.role.value, tuple(sorted(set(user.departments))))
    if user.role == Role.ADMIN:
        return (user.role.value, ())
    return (user.role.value, (str(user.id),))  # applicants: their own applications


def check_readable(*, session: Session, user: User, application_id: int) -> None:
    """The one dossier access check: NotFound unless this user may read this application
    (absent, deleted, or out of the account's scope all look the same)."""
    _readable_row(session, user, application_id)


class NotFound(LookupError):
    """Absent, or not yours: the same answer, so ids of others' applications reveal nothing."""

    def __init__(self, what: object = None) -> None:
        super().__init__(
            f"Candidature introuvable ({what})." if what else "Candidature introuvable."
        )


class Forbidden(PermissionError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Votre compte permet de consulter les candidatures, "
            "pas de les modifier ni d'en créer."
        )


class StaleVersion(Exception):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "Cette candidature a été modifiée dans un autre onglet ou par une autre personne "
            "depuis que vous l'avez ouverte. Rechargez la page pour repartir de la dernière "
            "version enregistrée."
        )


class AlreadySubmitted(StaleVersion):
    """The application was submitted (here or in another tab): it is frozen."""

    def __init__(self) -> None:
        super().__init__(
            "Cette candidature a déjà été déposée : elle ne peut plus être modifiée ni déposée "
            "une seconde fois. Rechargez la page pour voir le dossier déposé."
        )


class DuplicateApplication(Exception):
    """One application per SIRET per call; existing_id only when it is the caller's own."""

    def __init__(self, existing_id: int | None, scope: str = "") -> None:
        self.existing_id = existing_id
        # A call unique per SIRET and territory (Département 93 AMI) says which one is taken.
        where = f"ce SIRET et le territoire {scope}" if scope else "ce SIRET"
        if existing_id is not None:
            message = (
                f"Vous avez déjà une candidature pour {where} dans cet appel (n° {existing_id}) : "
                "reprenez-la plutôt que d'en créer une nouvelle."
            )
        else:
            message = (
                f"Une candidature existe déjà pour {where} dans cet appel, créée depuis un autre "
                "compte. Rapprochez-vous de vos collègues ; si ce SIRET n'est pas le vôtre, "
                "vérifiez-le."
            )
        if scope:
            message += " Pour un autre territoire, déposez un autre dossier."
        super().__init__(message)


class NotSubmittable(Exception):
    def __init__(self, status: str) -> None:
        self.status = status
        reason = (
            "le dossier est incomplet"
            if status == Status.INCOMPLETE
            else "la structure n'est pas éligible à cet appel"
        )
        super().__init__(f"Cette candidature ne peut pas être déposée : {reason}.")


class EmailNotConfirmed(Exception):
    """Applicants submit only from a confirmed address: the acknowledgement must reach them."""

    def __init__(self) -> None:
        super().__init__(
            "Confirmez d'abord votre adresse électronique : ouvrez le lien du courriel de "
            "confirmation (vous pouvez en demander un nouveau), puis déposez la candidature."
        )


class PdfHashAlreadySet(Exception):
    def __init__(self) -> None:
        super().__init__("L'empreinte du PDF de ce dossier est déjà enregistrée.")


class SubmissionRecord(BaseModel):
    id: int
    application_id: int
    dossier_number: str
    submitted_at: dt.datetime
    data: Application
    verdict: Verdict
    call_version: str
    commitments_version: str
    pdf_sha256: str | None

    @classmethod
    def from_row(cls, row: SubmissionRow) -> SubmissionRecord:
        return cls(
            id=row.id,
            application_id=row.application_id,
            dossier_number=row.dossier_number,
            submitted_at=row.submitted_at,
            data=Application.model_validate(row.data, context=SNAPSHOT),
            verdict=Verdict.model_validate(row.verdict),
            call_version=row.call_version,
            commitments_version=row.commitments_version,
            pdf_sha256=row.pdf_sha256,
        )


class ApplicationRecord(BaseModel):
    id: int
    call_id: str
    owner_id: int
    owner_email: str
    status: Literal["draft", "submitted"]
    data: Application
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    verdict_status: str | None
    submission: SubmissionRecord | None
    deleted_at: dt.datetime | None = None

    @classmethod
    def from_row(cls, row: ApplicationRow) -> ApplicationRecord:
        return cls(
            id=row.id,
            call_id=row.call_id,
            owner_id=row.owner_id,
            owner_email=row.owner.email,
            status=row.status,
            data=Application.model_validate(row.data),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            verdict_status=row.verdict_status,
            submission=SubmissionRecord.from_row(row.submission) if row.submission else None,
            deleted_at=row.deleted_at,
        )


class AuditEvent(BaseModel):
    at: dt.datetime
    actor_email: str | None
    action: str
    detail: str


SIRET_LENGTH = 14


def normalize_siret(value: str | None) -> str | None:
    """Digits only, so « 219 300 662 00018 » and « 21930066200018 » are the same SIRET."""
    if value is None:
        return None
    digits = identifiers.compact_siret(value)
    return digits or None


INT32_MAX = 2**31 - 1


def _int_column(value: int | None) -> int | None:
    """A count as stored for filtering; absurd values stay in the JSON answers only."""
    return value if value is not None and -INT32_MAX <= value <= INT32_MAX else None


UNIQUE_SCOPE_LENGTH = 20


def unique_scope(data: Application) -> str:
    """The answer that, with the SIRET, makes an application unique in its call ("" for calls
    unique per SIRET alone; the territory for the Département 93 AMI)."""
    from core.calls import load_calls
    from core.questionnaire_texts import attribute

    call = load_calls().get(data.call_id or "")
    if call is None or call.unique_per is None:
        return ""
    value = attribute(data, call.unique_per)
    return str(value)[:UNIQUE_SCOPE_LENGTH] if value else ""


COORDINATOR_COUNT = "posts.coordinator_count"


def filter_columns(data: Application) -> dict[str, object]:
    """The answers copied into columns for filtering (only well-formed values)."""
    structure, posts = data.structure, data.posts
    coordinators = None  # unanswered
    if posts.coordinator_wanted is not None:
        # The count only where the questionnaire asks it (wanted, and offered by the call).
        call = get_call(data.call_id) if data.call_id else None
        counted = call is not None and questionnaire.asked(data, call, COORDINATOR_COUNT)
        coordinators = (posts.coordinator_count or 0) if counted else 0
    siret = normalize_siret(structure.siret)
    department = reference.department(structure.department) if structure.department else None
    return {
        # A mistyped SIRET is kept in the answers but neither indexed nor made unique.
        "siret": siret if siret and identifiers.is_ascii_digits(siret, SIRET_LENGTH) else None,
        "structure_name": structure.name,
        "structure_type": structure.structure_type.value if structure.structure_type else None,
        "department": department.code if department else None,
        "posts_count": _int_column(posts.count),
        "coordinator_count": _int_column(coordinators),
        "france_services": structure.france_services,
        "qpv": structure.qpv,
        "unique_scope": unique_scope(data),
    }


def _audit(
    session: Session,
    *,
    user: User,
    application_id: int | None,
    action: str,
    detail: str = "",
    at: dt.datetime | None = None,
) -> None:
    # On the transaction's connection, not through the ORM's unit of work (a third of the CPU of
    # the statement, run on every answer: issue 15); the rows it may reference are flushed first.
    session.flush()
    session.connection().execute(
        insert(AuditEventRow.__table__).values(
            at=at or clock.now(),
            actor_id=user.id,
            application_id=application_id,
            action=action,
            detail=detail,
        )
    )


def _require_applicant(user: User) -> None:
    if user.role != Role.APPLICANT:
        raise Forbidden()


def _readable_row(
    session: Session, user: User, application_id: int, *, refresh: bool = True
) -> ApplicationRow:
    # refresh=False reuses a row this session already loaded in this transaction (a save just
    # after its read): the guarded UPDATE, not this read, decides against concurrent writers.
    row = session.get(ApplicationRow, application_id, populate_existing=refresh)
    if row is not None:
        # The identity map holds rows weakly: keep this one for the session's lifetime.
        session.info.setdefault("_cnfs_rows", {})[application_id] = row
    if row is None or row.deleted_at is not None or not user.can_read(row):
        raise NotFound(application_id)
    return row


def _writable_row(
    session: Session, user: User, application_id: int, *, refresh: bool = True
) -> ApplicationRow:
    row = _readable_row(session, user, application_id, refresh=refresh)
    if not user.can_write(row):
        # Only reviewers/admins get here: they may read, so saying "forbidden" leaks nothing.
        raise Forbidden()
    return row


def _check_duplicate(
    session: Session,
    *,
    user: User,
    call_id: str,
    siret: str | None,
    exclude_id: int | None,
    scope: str = "",
) -> None:
    if siret is None:
        return
    query = select(ApplicationRow.id, ApplicationRow.owner_id).where(
        ApplicationRow.call_id == call_id,
        ApplicationRow.siret == siret,
        ApplicationRow.unique_scope == scope,
    )
    if exclude_id is not None:
        query = query.where(ApplicationRow.id != exclude_id)
    existing = session.execute(query).first()
    if existing is not None:
        raise DuplicateApplication(existing.id if existing.owner_id == user.id else None, scope)


def _duplicate_from_race(
    session: Session, *, user: User, call_id: str, siret: str | None, scope: str = ""
) -> DuplicateApplication:
    """After a unique-constraint failure, the exception to raise; the session is rolled back."""
    session.rollback()
    try:
        _check_duplicate(
            session, user=user, call_id=call_id, siret=siret, exclude_id=None, scope=scope
        )
    except DuplicateApplication as exc:
        return exc
    return DuplicateApplication(None, scope)


def create_application(
    *, session: Session, user: User, call_id: str, data: Application | None = None
) -> ApplicationRecord:
    """A new draft for an open call, owned by the applicant."""
    _require_applicant(user)
    get_call(call_id)  # unknown call: KeyError with a French message
    data = (data or Application()).model_copy(update={"call_id": call_id})
    columns = filter_columns(data)
    siret, scope = normalize_siret(data.structure.siret), str(columns["unique_scope"])
    _check_duplicate(session, user=user, call_id=call_id, siret=siret, exclude_id=None, scope=scope)
    at = clock.now()
    row = ApplicationRow(
        call_id=call_id,
        owner_id=user.id,
        status="draft",
        data=data.model_dump(mode="json"),
        version=1,
        created_at=at,
        updated_at=at,
        **columns,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise _duplicate_from_race(
            session, user=user, call_id=call_id, siret=siret, scope=scope
        ) from None
    _audit(session, user=user, application_id=row.id, action="created", detail=call_id)
    session.flush()
    return ApplicationRecord.from_row(row)


def get_application(*, session: Session, user: User, application_id: int) -> ApplicationRecord:
    """One application the user may read; NotFound otherwise."""
    return ApplicationRecord.from_row(_readable_row(session, user, application_id))


def list_applications(
    *, session: Session, user: User, call_id: str | None = None
) -> list[ApplicationRecord]:
    """Applicants see their own applications; reviewers those of their calls; admins all."""
    query = (
        select(ApplicationRow)
        .where(ApplicationRow.deleted_at.is_(None))
        .order_by(ApplicationRow.id)
    )
    query = query.where(*read_conditions(user))
    if call_id is not None:
        query = query.where(ApplicationRow.call_id == call_id)
    rows = session.execute(query).unique().scalars().all()
    return [ApplicationRecord.from_row(row) for row in rows]


def _update_draft_row(
    session: Session, user: User, application_id: int, expected_version: int, **values: object
) -> None:
    """Update a draft still at expected_version (and not deleted), bumping it; StaleVersion or
    AlreadySubmitted otherwise (NotFound when deleted meanwhile). The WHERE clause is the lock:
    of two writes from one version, one matches no row."""
    # On the transaction's connection, not through the ORM (a third of the CPU time of this
    # statement, run on every answer: issue 15); what the session holds unsaved goes first.
    session.flush()
    table = ApplicationRow.__table__.c
    result = session.connection().execute(
        update(ApplicationRow.__table__)
        .where(
            table.id == application_id,
            table.version == expected_version,
            table.status == "draft",
            table.deleted_at.is_(None),
        )
        .values(version=table.version + 1, **values)
    )
    if result.rowcount != 1:
        current = _readable_row(session, user, application_id)
        if current.status != "draft":
            raise AlreadySubmitted()
        raise StaleVersion()


@dataclasses.dataclass(frozen=True)
class _StoredDraft:
    """What a write needs of the stored draft: from its row, or from the record this user's run
    has just read (the guarded UPDATE, not this copy, decides against concurrent writers)."""

    id: int
    call_id: str
    owner_email: str
    status: str
    siret: str | None
    unique_scope: str
    created_at: dt.datetime

    @classmethod
    def of_row(cls, row: ApplicationRow) -> _StoredDraft:
        return cls(
            row.id,
            row.call_id,
            row.owner.email,
            row.status,
            row.siret,
            row.unique_scope,
            row.created_at,
        )

    @classmethod
    def of_record(cls, record: ApplicationRecord) -> _StoredDraft:
        # The columns were written from these very answers (filter_columns, on every write).
        columns = filter_columns(record.data.model_copy(update={"call_id": record.call_id}))
        return cls(
            record.id,
            record.call_id,
            record.owner_email,
            record.status,
            columns["siret"],  # type: ignore[arg-type]
            str(columns["unique_scope"]),
            record.created_at,
        )


def _write_draft(
    session: Session,
    user: User,
    stored: _StoredDraft,
    data: Application,
    expected_version: int,
    *,
    verdict_status: str | None,
    subsidy_eur: int | None,
    audit: tuple[str, str],
) -> dt.datetime:
    """Write a draft's answers (in data.call_id's call) over expected_version, with its audit
    event; DuplicateApplication when its SIRET already applied there. Returns the save time."""
    if stored.status != "draft":
        raise AlreadySubmitted()
    call_id = data.call_id or stored.call_id
    columns = filter_columns(data)
    siret, scope = normalize_siret(data.structure.siret), str(columns["unique_scope"])
    changed = (
        columns["siret"] != stored.siret
        or scope != stored.unique_scope
        or call_id != stored.call_id
    )
    if columns["siret"] is not None and changed:
        # An unchanged SIRET (and scope, and call) is already this draft's, unique per call: no
        # query on every save.
        _check_duplicate(
            session, user=user, call_id=call_id, siret=siret, exclude_id=stored.id, scope=scope
        )
    saved_at = clock.now()
    try:
        _update_draft_row(
            session,
            user,
            stored.id,
            expected_version,
            call_id=call_id,
            data=data.model_dump(mode="json"),
            updated_at=saved_at,
            verdict_status=verdict_status,
            subsidy_eur=_int_column(subsidy_eur),
            **columns,
        )
    except IntegrityError:
        raise _duplicate_from_race(
            session, user=user, call_id=call_id, siret=siret, scope=scope
        ) from None
    action, detail = audit
    _audit(session, user=user, application_id=stored.id, action=action, detail=detail, at=saved_at)
    return saved_at


def save_draft(
    *,
    session: Session,
    user: User,
    application_id: int,
    data: Application,
    expected_version: int,
    verdict_status: str | None = None,
    subsidy_eur: int | None = None,
    loaded: ApplicationRecord | None = None,
) -> ApplicationRecord:
    """Save the draft if nobody saved since expected_version; returns it with version + 1.

    `loaded`, the draft as this user's run read it at expected_version, spares reading it again.
    """
    if loaded is not None and loaded.id == application_id:
        if not user.can_write(loaded):
            raise Forbidden()
        stored = _StoredDraft.of_record(loaded)
    else:
        stored = _StoredDraft.of_row(_writable_row(session, user, application_id, refresh=False))
    data = data.model_copy(update={"call_id": stored.call_id})
    saved_at = _write_draft(
        session,
        user,
        stored,
        data,
        expected_version,
        verdict_status=verdict_status,
        subsidy_eur=subsidy_eur,
        audit=("draft_saved", ""),
    )
    # The UPDATE matched this very version: the saved record is known without reading it back.
    return ApplicationRecord(
        id=stored.id,
        call_id=stored.call_id,
        owner_id=user.id,
        owner_email=stored.owner_email,
        status="draft",
        data=Application.model_validate(data.model_dump(mode="json")),
        version=expected_version + 1,
        created_at=stored.created_at,
        updated_at=saved_at,
        verdict_status=verdict_status,
        submission=None,
    )


def dossier_number(application_id: int, submitted_at: dt.datetime, prefix: str = "CNFS") -> str:
    """<prefix>-<year>-<application id on 6 digits>: unique since an application is submitted
    once (the prefix is the call's: CNFS, CD93…)."""
    return f"{prefix}-{submitted_at.year}-{application_id:06d}"


def submit_application(
    *,
    session: Session,
    user: User,
    application_id: int,
    expected_version: int,
    verdict: Verdict,
    call_version: str,
    commitments_version: str,
    pdf_sha256: str | None = None,
) -> SubmissionRecord:
    """Freeze the application as submitted; exactly one of two concurrent submits succeeds."""
    row = _writable_row(session, user, application_id)
    if row.status != "draft":
        raise AlreadySubmitted()
    if verdict.status not in SUBMITTABLE:
        raise NotSubmittable(verdict.status)
    if row.owner.email_confirmed_at is None:
        raise EmailNotConfirmed()
    at = clock.now()
    _update_draft_row(
        session,
        user,
        application_id,
        expected_version,
        status="submitted",
        updated_at=at,
        submitted_at=at,
        verdict_status=verdict.status.value,
        subsidy_eur=_int_column(verdict.subsidy_eur),
    )
    # The snapshot is what this transaction just locked, not what the caller believes.
    fresh = _readable_row(session, user, application_id)
    submission = SubmissionRow(
        application_id=application_id,
        dossier_number=dossier_number(application_id, at, get_call(row.call_id).dossier_prefix),
        submitted_at=at,
        data=fresh.data,
        verdict=verdict.model_dump(mode="json"),
        call_version=call_version,
        commitments_version=commitments_version,
        pdf_sha256=pdf_sha256,
    )
    session.add(submission)
    try:
        session.flush()
    except IntegrityError:
        # Unique application_id: a second submission cannot exist even if the UPDATE raced.
        session.rollback()
        raise AlreadySubmitted() from None
    _audit(
        session,
        user=user,
        application_id=application_id,
        action="submitted",
        detail=f"{submission.dossier_number} ({verdict.status.value})",
    )
    session.flush()
    return SubmissionRecord.from_row(submission)


def _submission_row(session: Session, user: User, application_id: int) -> SubmissionRow:
    row = _readable_row(session, user, application_id)
    if row.submission is None:
        raise NotFound(application_id)
    return row.submission


def get_submission(*, session: Session, user: User, application_id: int) -> SubmissionRecord:
    """The frozen submission of an application the user may read; NotFound if not submitted."""
    return SubmissionRecord.from_row(_submission_row(session, user, application_id))


def set_submission_pdf_hash(
    *, session: Session, user: User, submission_id: int, pdf_sha256: str
) -> None:
    """Record the submitted PDF's SHA-256, once; the same hash again is accepted silently."""
    submission = session.get(SubmissionRow, submission_id, populate_existing=True)
    if submission is None:
        raise NotFound(submission_id)
    _writable_row(session, user, submission.application_id)
    result = session.execute(
        update(SubmissionRow)
        .where(SubmissionRow.id == submission_id, SubmissionRow.pdf_sha256.is_(None))
        .values(pdf_sha256=pdf_sha256)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(submission)
        if submission.pdf_sha256 != pdf_sha256:
            raise PdfHashAlreadySet()
        return
    _audit(
        session,
        user=user,
        application_id=submission.application_id,
        action="pdf_recorded",
        detail=pdf_sha256,
    )
    session.flush()


def list_audit_events(*, session: Session, user: User, application_id: int) -> list[AuditEvent]:
    """What happened to an application, oldest first."""
    _readable_row(session, user, application_id)
    rows = (
        session.execute(
            select(AuditEventRow)
            .where(AuditEventRow.application_id == application_id)
            .order_by(AuditEventRow.at, AuditEventRow.id)
        )
        .scalars()
        .all()
    )
    return [
        AuditEvent(
            at=r.at,
            actor_email=r.actor.email if r.actor else None,
            action=r.action,
            detail=r.detail,
        )
        for r in rows
    ]


def move_draft(
    *,
    session: Session,
    user: User,
    application_id: int,
    call_id: str,
    data: Application,
    expected_version: int,
    verdict_status: str | None = None,
    subsidy_eur: int | None = None,
) -> ApplicationRecord:
    """Move a draft to another call with the answers that call keeps (core.journey decides
    which); DuplicateApplication when its SIRET already applied there, AlreadySubmitted once
    filed."""
    row = _writable_row(session, user, application_id, refresh=False)
    _write_draft(
        session,
        user,
        _StoredDraft.of_row(row),
        data.model_copy(update={"call_id": call_id}),
        expected_version,
        verdict_status=verdict_status,
        subsidy_eur=subsidy_eur,
        audit=("moved", f"{row.call_id} -> {call_id}"),
    )
    session.expire(row)  # the UPDATE bypassed the loaded row
    return get_application(session=session, user=user, application_id=application_id)


# --- drafts the owner deletes ----------------------------------------------------------------

DELETED_DRAFTS_KEPT_DAYS = 30  # restorable from « Mes candidatures » that long, then purged


class NotRestorable(Exception):
    """A deleted draft that cannot come back as it was: its SIRET is now used elsewhere."""

    def __init__(self, existing_id: int | None) -> None:
        self.existing_id = existing_id
        where = f" (n° {existing_id})" if existing_id is not None else ""
        super().__init__(
            f"Cette candidature ne peut pas être restaurée : une autre candidature{where} porte "
            "désormais le même SIRET dans cet appel."
        )


def _deleted_row(session: Session, user: User, application_id: int) -> ApplicationRow:
    """The caller's own deleted draft, still within its restore period; NotFound otherwise."""
    row = session.get(ApplicationRow, application_id, populate_existing=True)
    cutoff = clock.now() - dt.timedelta(days=DELETED_DRAFTS_KEPT_DAYS)
    if (
        row is None
        or row.owner_id != user.id
        or user.role != Role.APPLICANT
        or row.deleted_at is None
        or row.deleted_at < cutoff
    ):
        raise NotFound(application_id)
    return row


def delete_draft(
    *, session: Session, user: User, application_id: int, expected_version: int
) -> None:
    """Hide the owner's draft (restorable for a while); a submitted application never goes."""
    row = _writable_row(session, user, application_id)
    if row.status != "draft":
        raise AlreadySubmitted()
    # The SIRET is freed so a new draft may use it; restore_draft takes it back if still free.
    _update_draft_row(
        session, user, application_id, expected_version, deleted_at=clock.now(), siret=None
    )
    _audit(session, user=user, application_id=application_id, action="deleted")
    session.flush()


def list_deleted_drafts(*, session: Session, user: User) -> list[ApplicationRecord]:
    """The caller's deleted drafts that can still be restored, most recent first."""
    if user.role != Role.APPLICANT:
        return []
    cutoff = clock.now() - dt.timedelta(days=DELETED_DRAFTS_KEPT_DAYS)
    rows = (
        session.execute(
            select(ApplicationRow)
            .where(
                ApplicationRow.owner_id == user.id,
                ApplicationRow.deleted_at.is_not(None),
                ApplicationRow.deleted_at >= cutoff,
            )
            .order_by(ApplicationRow.deleted_at.desc())
        )
        .unique()
        .scalars()
        .all()
    )
    return [ApplicationRecord.from_row(row) for row in rows]


def restore_draft(*, session: Session, user: User, application_id: int) -> ApplicationRecord:
    """Bring a deleted draft back, answers untouched; NotRestorable if its SIRET is taken."""
    row = _deleted_row(session, user, application_id)
    siret = normalize_siret(Application.model_validate(row.data).structure.siret)
    try:
        _check_duplicate(
            session,
            user=user,
            call_id=row.call_id,
            siret=siret,
            exclude_id=row.id,
            scope=row.unique_scope,
        )
    except DuplicateApplication as exc:
        raise NotRestorable(exc.existing_id) from None
    row.deleted_at = None
    row.siret = siret
    row.version += 1
    try:
        session.flush()
    except IntegrityError:  # another draft took the SIRET at the same moment
        session.rollback()
        raise NotRestorable(None) from None
    _audit(session, user=user, application_id=row.id, action="restored")
    session.flush()
    return ApplicationRecord.from_row(row)


def date_undated_submissions(*, session: Session) -> int:
    """Copy onto its application the date of a submission made by code older than that copy
    (an instance still running during a rolling upgrade to migration 0012); how many. Run at
    every start: the last instance to restart runs it once no old instance is left."""
    submitted_at = (
        select(SubmissionRow.submitted_at)
        .where(SubmissionRow.application_id == ApplicationRow.id)
        .scalar_subquery()
    )
    result = session.execute(
        update(ApplicationRow)
        .where(ApplicationRow.status == "submitted", ApplicationRow.submitted_at.is_(None))
        .values(submitted_at=submitted_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def purge_deleted_drafts(*, session: Session) -> int:
    """Remove for good the drafts deleted more than the restore period ago; how many."""
    cutoff = clock.now() - dt.timedelta(days=DELETED_DRAFTS_KEPT_DAYS)
    ids = (
        session.execute(
            select(ApplicationRow.id).where(
                ApplicationRow.deleted_at.is_not(None),
                ApplicationRow.deleted_at < cutoff,
                ApplicationRow.status == "draft",
            )
        )
        .scalars()
        .all()
    )
    if ids:
        session.execute(delete(AuditEventRow).where(AuditEventRow.application_id.in_(ids)))
        session.execute(delete(AttachmentFileRow).where(AttachmentFileRow.application_id.in_(ids)))
        session.execute(delete(ApplicationRow).where(ApplicationRow.id.in_(ids)))
    return len(ids)
