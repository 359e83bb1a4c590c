"""The applicant's journey as plain Python: open, update, move and submit a draft, render its PDF.

Pages call these functions and render what they return; nothing here knows about Streamlit.
What to say in French (refusals, the calls' dates, problems by step, next step, the PDF's file
name) is core.presentation's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy.orm import Session

from core import clock, mail_events, pdf, presentation, questionnaire, rules, storage
from core.calls import Call, get_call, load_calls
from core.models import Application, Declaration, Verdict
from core.storage import ApplicationRecord, SubmissionRecord, User


class CallNotOpen(Exception):
    """The call does not take applications today (not yet open, or closed)."""

    def __init__(self, call: Call, today: dt.date) -> None:
        super().__init__(presentation.call_not_open_text(call, today))


class InvalidAnswer(ValueError):
    """An answer the model cannot hold (wrong type, too long); the message is French."""

    def __init__(
        self,
        paths: list[str],
        too_long: dict[str, tuple[int, int]] | None = None,
        call_id: str | None = None,
    ):
        super().__init__(presentation.invalid_answer_text(paths, too_long or {}, call_id))


def open_draft(
    *, session: Session, user: User, call_id: str, today: dt.date, siret: str | None = None
) -> ApplicationRecord:
    """A new draft for an open call; DuplicateApplication when the SIRET already applied."""
    call = get_call(call_id)
    if not call.is_open(today):
        raise CallNotOpen(call, today)
    data = Application(call_id=call_id)
    if siret and siret.strip():
        data.structure.siret = siret
    return storage.create_application(session=session, user=user, call_id=call_id, data=data)


def verdict_for(record: ApplicationRecord, today: dt.date) -> Verdict:
    """A submitted application keeps the verdict frozen at submission; a draft is evaluated."""
    if record.submission is not None:
        return record.submission.verdict
    return rules.evaluate(record.data, get_call(record.call_id), today)


def load(
    *, session: Session, user: User, application_id: int, today: dt.date
) -> tuple[ApplicationRecord, Verdict]:
    """The stored application (NotFound if absent or not yours) and its verdict."""
    record = storage.get_application(session=session, user=user, application_id=application_id)
    return record, verdict_for(record, today)


def overview(
    *, session: Session, user: User, today: dt.date
) -> list[tuple[ApplicationRecord, Verdict, presentation.NextStep]]:
    """The user's applications, each with its verdict and what to do next."""
    result = []
    for record in storage.list_applications(session=session, user=user):
        verdict = verdict_for(record, today)
        result.append((record, verdict, presentation.next_step(record, verdict)))
    return result


_KEYED_SECTIONS = frozenset({"attachments"})  # dicts of models by id, not fields of a model


def apply_changes(application: Application, changes: Mapping[str, Any]) -> Application:
    """A copy of the application with answers replaced at dotted paths; InvalidAnswer if refused."""
    data = application.model_dump()
    for path, value in changes.items():
        names = path.split(".")
        if not 2 <= len(names) <= 3 or not all(names):
            raise InvalidAnswer([path], call_id=application.call_id)
        target = data
        for name in names[:-1]:  # section, or section.group (project.targets.diagnosed)
            target = target.get(name) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            raise InvalidAnswer([path], call_id=application.call_id)
        leaf = names[-1]
        if isinstance(value, str) and not value.strip():
            value = None  # an emptied text box means "not answered"
        if value is None and names[0] in _KEYED_SECTIONS:
            target.pop(leaf, None)  # a removed file leaves no key behind
            continue
        target[leaf] = value
    try:
        return Application.model_validate(data)
    except ValidationError as exc:

        def changed(loc: tuple) -> str:
            """The changed path an error is about (a row of a list names its list)."""
            text = ".".join(str(p) for p in loc)
            return next((p for p in changes if text == p or text.startswith(p + ".")), text)

        paths = sorted({changed(err["loc"]) for err in exc.errors()})
        too_long = {
            changed(err["loc"]): (err["ctx"]["max_length"], len(err["input"]))
            for err in exc.errors()
            if err["type"] == "string_too_long"
        }
        raise InvalidAnswer(paths, too_long, application.call_id) from None


def update_draft(
    *,
    session: Session,
    user: User,
    application_id: int,
    changes: Mapping[str, Any],
    expected_version: int,
    today: dt.date,
    loaded: ApplicationRecord | None = None,
) -> tuple[ApplicationRecord, Verdict]:
    """Save changed answers on top of the stored draft; StaleVersion if someone saved since.
    Refusals come first, even for a change that would save nothing.

    `loaded` is the draft as this user's run has just read it (core.journey.load): it spares a
    second read on every answer; a save from a stale copy is still refused by the write itself.
    """
    record = writable_draft(
        session=session,
        user=user,
        application_id=application_id,
        expected_version=expected_version,
        loaded=loaded,
    )
    data = apply_changes(record.data, changes)
    call = get_call(record.call_id)
    verdict = rules.evaluate(data, call, today)
    if data == record.data:
        return record, verdict
    saved = storage.save_draft(
        session=session,
        user=user,
        application_id=application_id,
        data=data,
        expected_version=expected_version,
        verdict_status=verdict.status.value,
        subsidy_eur=verdict.subsidy_eur,
        loaded=record if record is loaded else None,
    )
    return saved, verdict


def writable_draft(
    *,
    session: Session,
    user: User,
    application_id: int,
    expected_version: int,
    loaded: ApplicationRecord | None = None,
) -> ApplicationRecord:
    """The draft this user may change, as this tab last saw it: Forbidden, AlreadySubmitted or
    StaleVersion otherwise, before anything is written."""
    if loaded is not None and loaded.id == application_id:
        record = loaded
    else:
        record = storage.get_application(session=session, user=user, application_id=application_id)
    if not user.can_write(record):
        raise storage.Forbidden()
    if record.status != "draft":
        raise storage.AlreadySubmitted()
    if record.version != expected_version:
        raise storage.StaleVersion()
    return record


def fitting_calls(record: ApplicationRecord, today: dt.date) -> list[Call]:
    """Other open calls that fund this draft's type of structure, when its own call does not:
    where the draft could be moved (an association in wave 1 → the wave for private
    structures)."""
    stype = record.data.structure.structure_type
    own = get_call(record.call_id)
    if record.status != "draft" or stype is None or stype in own.eligible_structure_types:
        return []
    return [
        call
        for call in load_calls().values()
        if call.id != own.id and call.is_open(today) and stype in call.eligible_structure_types
    ]


class MovedDraft(NamedTuple):
    record: ApplicationRecord
    verdict: Verdict
    dropped: list[str]  # labels (in the former call's words) of answers the new call does not ask


def move_draft(
    *,
    session: Session,
    user: User,
    application_id: int,
    call_id: str,
    expected_version: int,
    today: dt.date,
) -> MovedDraft:
    """Move a draft to another open call, keeping every answer that call asks; the answers it
    does not ask are dropped and listed. A submitted application is never moved."""
    record = writable_draft(
        session=session, user=user, application_id=application_id, expected_version=expected_version
    )
    source, target = get_call(record.call_id), get_call(call_id)
    if not target.is_open(today):
        raise CallNotOpen(target, today)
    # The target's conditions read the same earlier answers: ask it what it asks of them.
    candidate = record.data.model_copy(update={"call_id": target.id})
    asked = {q.path for q in questionnaire.applicable(candidate, target)}
    changes: dict[str, Any] = {}
    dropped: list[str] = []
    for q in questionnaire.applicable(record.data, source):
        value = questionnaire.value_at(record.data, q.path)
        if value is None or value == "" or value == []:
            continue
        if q.path in asked:
            changes[q.path] = value
        else:
            dropped.append(q.label)
    data = apply_changes(Application(call_id=target.id), changes)
    verdict = rules.evaluate(data, target, today)
    moved = storage.move_draft(
        session=session,
        user=user,
        application_id=application_id,
        call_id=target.id,
        data=data,
        expected_version=expected_version,
        verdict_status=verdict.status.value,
        subsidy_eur=verdict.subsidy_eur,
    )
    return MovedDraft(moved, verdict, dropped)


class DeclarationMissing(Exception):
    """The deposit is refused until the person who files names themself and certifies."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(presentation.declaration_missing_text(problems))


def submit(
    *,
    session: Session,
    user: User,
    application_id: int,
    expected_version: int,
    today: dt.date,
    declaration: Declaration,
) -> tuple[SubmissionRecord, bytes]:
    """Record who files, then evaluate, submit, render the PDF and record its hash, all in the
    caller's transaction.

    Refuses a declaration that is not complete (DeclarationMissing) and incomplete or
    ineligible applications (NotSubmittable). The PDF is generated at the submission instant,
    so pdf_for() renders the same bytes again later.
    """
    record = storage.get_application(session=session, user=user, application_id=application_id)
    if record.status != "draft":
        raise storage.AlreadySubmitted()
    problems = presentation.declaration_problems(declaration)
    if problems:
        raise DeclarationMissing(problems)
    call = get_call(record.call_id)
    verdict = rules.evaluate(record.data, call, today)
    if verdict.status not in storage.SUBMITTABLE:
        raise storage.NotSubmittable(verdict.status)
    # The declaration is part of the frozen snapshot (and so of the PDF).
    signed = declaration.model_copy(update={"certified_at": clock.now()})
    record = storage.save_draft(
        session=session,
        user=user,
        application_id=application_id,
        data=record.data.model_copy(update={"declaration": signed}),
        expected_version=expected_version,
        verdict_status=verdict.status.value,
    )
    submission = storage.submit_application(
        session=session,
        user=user,
        application_id=application_id,
        expected_version=record.version,
        verdict=verdict,
        call_version=call.version,
        commitments_version=call.commitments_version,
    )
    content = _submission_pdf(submission, call)
    storage.set_submission_pdf_hash(
        session=session, user=user, submission_id=submission.id, pdf_sha256=pdf.pdf_sha256(content)
    )
    # Same transaction: a deposit is never recorded without its acknowledgement, nor the reverse.
    mail_events.deposit_acknowledged(
        session=session, user=user, submission=submission, call=call, pdf=content
    )
    return submission.model_copy(update={"pdf_sha256": pdf.pdf_sha256(content)}), content


def _submission_pdf(submission: SubmissionRecord, call: Call) -> bytes:
    return pdf.render_application(
        submission.data,
        submission.verdict,
        call,
        dossier_number=submission.dossier_number,
        submitted_at=submission.submitted_at,
        generated_at=submission.submitted_at,
    )


def pdf_for(
    *, session: Session, user: User, application_id: int, today: dt.date, now: dt.datetime
) -> bytes:
    """The PDF of an application: the submitted one (same bytes as at submission) or a draft."""
    record = storage.get_application(session=session, user=user, application_id=application_id)
    call = get_call(record.call_id)
    if record.submission is not None:
        return _submission_pdf(record.submission, call)
    verdict = rules.evaluate(record.data, call, today)
    return pdf.render_application(record.data, verdict, call, generated_at=now)


def can_submit(record: ApplicationRecord, verdict: Verdict) -> bool:
    return record.status == "draft" and verdict.status in storage.SUBMITTABLE
