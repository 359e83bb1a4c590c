"""One application as a reviewer reads it (record, call, history), its submitted PDF
re-rendered and checked against the stored hash, and a department's submitted snapshots."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from core.calls import Call, get_call
from core.db import ApplicationRow, SubmissionRow
from core.review_access import require_reviewer
from core.storage import (
    ApplicationRecord,
    AuditEvent,
    NotFound,
    SubmissionRecord,
    User,
    get_application,
    list_audit_events,
    read_conditions,
)


class Dossier(BaseModel):
    """One application as a reviewer reads it: the record, its call and its history."""

    application: ApplicationRecord
    call: Call
    events: list[AuditEvent]

    @property
    def submission(self) -> SubmissionRecord | None:
        return self.application.submission


def get_dossier(*, session: Session, user: User, application_id: int) -> Dossier:
    """An application with its submission and audit trail; NotFound if it does not exist."""
    require_reviewer(user)
    record = get_application(session=session, user=user, application_id=application_id)
    try:
        call = get_call(record.call_id)
    except KeyError:
        raise NotFound(application_id) from None
    events = list_audit_events(session=session, user=user, application_id=application_id)
    return Dossier(application=record, call=call, events=events)


class DossierPdf(BaseModel):
    content: bytes
    sha256: str
    stored_sha256: str | None

    @property
    def matches(self) -> bool | None:
        """True or False when a hash was stored at submission, None otherwise."""
        if self.stored_sha256 is None:
            return None
        return self.sha256 == self.stored_sha256


def dossier_pdf(dossier: Dossier) -> DossierPdf:
    """The submitted PDF re-rendered from the snapshot, dated as at submission."""
    from core.pdf import pdf_sha256, render_application

    submission = dossier.submission
    if submission is None:
        raise NotFound(dossier.application.id)
    content = render_application(
        submission.data,
        submission.verdict,
        dossier.call,
        dossier_number=submission.dossier_number,
        submitted_at=submission.submitted_at,
        generated_at=submission.submitted_at,
    )
    return DossierPdf(
        content=content, sha256=pdf_sha256(content), stored_sha256=submission.pdf_sha256
    )


def submitted_rows_of_department(
    *, session: Session, user: User, department: str, call_id: str | None = None
) -> list[tuple[str, dict, str]]:
    """(call id, snapshot data, dossier number) of the department's submitted applications."""
    require_reviewer(user)
    a, s = ApplicationRow, SubmissionRow
    query = (
        select(a.call_id, s.data, s.dossier_number)
        .join(s, s.application_id == a.id)
        .where(and_(a.department == department, a.status == "submitted"))
        .where(*read_conditions(user))
        .order_by(a.structure_name, a.id)
    )
    if call_id:
        query = query.where(a.call_id == call_id)
    return [(r[0], r[1], r[2]) for r in session.execute(query).all()]
