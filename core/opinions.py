"""Prefects' opinions on submitted CNFS applications, with an append-only history.

A prefecture account gives, per application of its departments, an opinion (positive, negative,
further examination), the number of conseillers it supports and a comment; it may change it
until the list's opinions are due (call file, « prefect_consultation »). Every change is kept in
opinion_changes: who, when, from the screen or from which file (name and SHA-256), old -> new.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.calls import Call, ConsultationList, get_call
from core.db import ApplicationRow, OpinionChangeRow, OpinionRow, UserRow
from core.formatting import PARIS
from core.models import clean_text
from core.storage import Forbidden, NotFound, Role, User, consulted_call_ids

COMMENT_MIN_CHARS = 10
COMMENT_MAX_CHARS = 1_000
# Who records opinions: the prefecture itself, or an ANCT admin importing its sheet for it.
OPINION_WRITERS = frozenset({Role.PREFECTURE, Role.ADMIN})


class Opinion(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"
    FURTHER_EXAMINATION = "further_examination"


OPINION_LABELS_FR = {
    Opinion.POSITIVE: "Avis positif",
    Opinion.NEGATIVE: "Avis négatif",
    Opinion.FURTHER_EXAMINATION: "Examen complémentaire",
}
NO_OPINION_FR = "Sans avis"
# Filter widgets: "" is « sans avis » (core.review_listing.ReviewFilters.opinions).
OPINION_FILTER_OPTIONS = {
    "": NO_OPINION_FR,
    **{opinion.value: label for opinion, label in OPINION_LABELS_FR.items()},
}
SOURCE_LABELS_FR = {"screen": "À l'écran", "file": "Fiche importée"}


def opinion_label(value: object) -> str:
    """« Avis positif »…, or « Sans avis » for no opinion."""
    try:
        return OPINION_LABELS_FR[Opinion(value)]
    except ValueError:
        return NO_OPINION_FR


class OpinionError(ValueError):
    """An opinion refused; the message is French and says what to do."""


class OpinionClosed(OpinionError):
    def __init__(self, until: dt.date) -> None:
        super().__init__(
            f"Les avis sur cette liste étaient attendus au plus tard le "
            f"{until.strftime('%d/%m/%Y')} : ils ne peuvent plus être modifiés. Pour un "
            "changement, écrivez à l'ANCT."
        )


class OpinionConflict(Exception):
    def __init__(self) -> None:
        super().__init__(
            "L'avis sur ce dossier a été modifié entre-temps (dans un autre onglet ou par un "
            "collègue) : rien n'a été enregistré. Rechargez la page pour voir l'avis en vigueur."
        )


class OpinionInput(BaseModel):
    """What the prefecture gives, from the screen or from a row of its sheet."""

    opinion: Opinion
    supported_count: int
    comment: str = ""

    def cleaned(self) -> OpinionInput:
        return self.model_copy(update={"comment": str(clean_text(self.comment)).strip()})


class CurrentOpinion(BaseModel):
    application_id: int
    opinion: Opinion
    supported_count: int
    comment: str
    updated_at: dt.datetime
    updated_by_email: str
    version: int

    @property
    def label(self) -> str:
        return OPINION_LABELS_FR[self.opinion]


class OpinionChange(BaseModel):
    at: dt.datetime
    actor_email: str
    source: str
    file_name: str | None
    file_sha256: str | None
    old_opinion: Opinion | None
    old_count: int | None
    old_comment: str | None
    new_opinion: Opinion
    new_count: int
    new_comment: str


def problems(value: OpinionInput, posts_requested: int | None) -> list[str]:
    """What is wrong with an opinion, in French (empty when it can be recorded)."""
    found = []
    most = posts_requested or 0
    if value.supported_count < 0 or value.supported_count > most:
        found.append(
            f"Le nombre de conseillers soutenus doit être compris entre 0 et {most} "
            f"(postes demandés) ; vous avez indiqué {value.supported_count}."
        )
    if value.opinion == Opinion.NEGATIVE and value.supported_count != 0:
        found.append("Un avis négatif ne soutient aucun poste : indiquez 0 conseiller.")
    comment = value.comment.strip()
    if value.opinion != Opinion.POSITIVE and not comment:
        found.append(
            f"Un commentaire est obligatoire pour un {OPINION_LABELS_FR[value.opinion].lower()} "
            f"({COMMENT_MIN_CHARS} à {format(COMMENT_MAX_CHARS, ',').replace(',', ' ')} "
            "caractères) : dites ce qui motive votre avis."
        )
    elif comment and len(comment) < COMMENT_MIN_CHARS:
        found.append(
            f"Le commentaire est trop court ({len(comment)} caractères, au moins "
            f"{COMMENT_MIN_CHARS}) : précisez ce qui motive votre avis."
        )
    elif len(comment) > COMMENT_MAX_CHARS:
        found.append(
            f"Le commentaire est trop long ({len(comment)} caractères, au plus 1 000) : résumez-le."
        )
    return found


# --- Consultation lists ----------------------------------------------------------------------


def consultation_list(call: Call, submitted_at: dt.datetime) -> ConsultationList | None:
    """The list an application belongs to (by its Paris submission date); None after the last."""
    if call.prefect_consultation is None:
        return None
    day = submitted_at.astimezone(PARIS).date()
    for item in call.prefect_consultation.lists:
        if day <= item.submitted_until:
            return item
    return None


def is_open(call: Call, submitted_at: dt.datetime, today: dt.date) -> bool:
    """Whether opinions on this application may still be given or changed."""
    item = consultation_list(call, submitted_at)
    return item is None or today <= item.opinions_until


# --- Reads -----------------------------------------------------------------------------------


def _submitted_row(session: Session, user: User, application_id: int) -> ApplicationRow:
    """A submitted application of a consulted call that the user may read; NotFound otherwise."""
    row = session.get(ApplicationRow, application_id, populate_existing=True)
    if row is None or not user.can_read(row):
        raise NotFound(application_id)
    if row.status != "submitted" or row.call_id not in consulted_call_ids():
        raise NotFound(application_id)
    return row


def _current(row: OpinionRow, email: str) -> CurrentOpinion:
    return CurrentOpinion(
        application_id=row.application_id,
        opinion=Opinion(row.opinion),
        supported_count=row.supported_count,
        comment=row.comment,
        updated_at=row.updated_at,
        updated_by_email=email,
        version=row.version,
    )


def get_opinion(*, session: Session, user: User, application_id: int) -> CurrentOpinion | None:
    """The opinion in force on an application the user may read (None: no opinion yet)."""
    if user.role == Role.APPLICANT:
        raise Forbidden("Les avis des préfectures sont réservés à l'ANCT et aux préfectures.")
    _submitted_row(session, user, application_id)
    found = session.execute(
        select(OpinionRow, UserRow.email)
        .join(UserRow, UserRow.id == OpinionRow.updated_by_id)
        .where(OpinionRow.application_id == application_id)
        .execution_options(populate_existing=True)
    ).first()
    return _current(found[0], found[1]) if found else None


def list_changes(*, session: Session, user: User, application_id: int) -> list[OpinionChange]:
    """Every change of the opinion on an application, oldest first."""
    if user.role == Role.APPLICANT:
        raise Forbidden("Les avis des préfectures sont réservés à l'ANCT et aux préfectures.")
    _submitted_row(session, user, application_id)
    rows = session.execute(
        select(OpinionChangeRow)
        .where(OpinionChangeRow.application_id == application_id)
        .order_by(OpinionChangeRow.at, OpinionChangeRow.id)
    ).scalars()
    return [
        OpinionChange(
            at=r.at,
            actor_email=r.actor.email,
            source=r.source,
            file_name=r.file_name,
            file_sha256=r.file_sha256,
            old_opinion=Opinion(r.old_opinion) if r.old_opinion else None,
            old_count=r.old_count,
            old_comment=r.old_comment,
            new_opinion=Opinion(r.new_opinion),
            new_count=r.new_count,
            new_comment=r.new_comment,
        )
        for r in rows
    ]


# --- Writes ----------------------------------------------------------------------------------


def require_writer(user: User) -> None:
    if user.role not in OPINION_WRITERS:
        raise Forbidden(
            "Seuls les services préfectoraux donnent un avis (ou un administrateur de l'ANCT qui "
            "importe leur fiche) ; votre compte consulte les avis."
        )


def write_opinion(
    session: Session,
    *,
    user: User,
    application_id: int,
    value: OpinionInput,
    expected_version: int,
    source: str,
    file_name: str | None = None,
    file_sha256: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Set the opinion if nobody changed it since expected_version (0: none yet); no checks of
    scope or content (callers do them). Returns False when it is already that opinion."""
    at = at or clock.now()
    current = session.get(OpinionRow, application_id, populate_existing=True)
    old = (current.opinion, current.supported_count, current.comment) if current else None
    new = (value.opinion.value, value.supported_count, value.comment)
    if old == new:
        if current.version != expected_version:
            raise OpinionConflict()
        return False
    if current is None:
        if expected_version != 0:
            raise OpinionConflict()
        session.add(
            OpinionRow(
                application_id=application_id,
                opinion=new[0],
                supported_count=new[1],
                comment=new[2],
                updated_at=at,
                updated_by_id=user.id,
                version=1,
            )
        )
        try:
            session.flush()
        except IntegrityError:
            # Another writer gave the first opinion at the same moment.
            session.rollback()
            raise OpinionConflict() from None
    else:
        result = session.execute(
            update(OpinionRow)
            .where(
                OpinionRow.application_id == application_id,
                OpinionRow.version == expected_version,
            )
            .values(
                opinion=new[0],
                supported_count=new[1],
                comment=new[2],
                updated_at=at,
                updated_by_id=user.id,
                version=OpinionRow.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise OpinionConflict()
    session.add(
        OpinionChangeRow(
            application_id=application_id,
            at=at,
            actor_id=user.id,
            source=source,
            file_name=file_name,
            file_sha256=file_sha256,
            old_opinion=old[0] if old else None,
            old_count=old[1] if old else None,
            old_comment=old[2] if old else None,
            new_opinion=new[0],
            new_count=new[1],
            new_comment=new[2],
        )
    )
    return True


def record_opinion(
    *,
    session: Session,
    user: User,
    application_id: int,
    value: OpinionInput,
    expected_version: int,
    today: dt.date | None = None,
) -> CurrentOpinion:
    """The prefecture's opinion given on screen; refused on drafts, out of scope, after the
    deadline, or when someone changed it since expected_version (0 when there was none)."""
    row = _submitted_row(session, user, application_id)
    if user.role != Role.PREFECTURE:
        require_writer(user)
        raise Forbidden(
            "À l'écran, l'avis est donné par la préfecture ; un administrateur peut importer "
            "la fiche qu'elle a remplie."
        )
    value = value.cleaned()
    found = problems(value, row.posts_count)
    if found:
        raise OpinionError(" ".join(found))
    call = get_call(row.call_id)
    item = consultation_list(call, row.submission.submitted_at)
    if item is not None and (today or clock.today()) > item.opinions_until:
        raise OpinionClosed(item.opinions_until)
    write_opinion(
        session,
        user=user,
        application_id=application_id,
        value=value,
        expected_version=expected_version,
        source="screen",
    )
    session.flush()
    result = get_opinion(session=session, user=user, application_id=application_id)
    assert result is not None
    return result


def write_opinions(
    session: Session,
    *,
    user: User,
    changes: list[tuple[int, OpinionInput, tuple[str, int, str] | None, int]],
    source: str,
    file_name: str | None,
    file_sha256: str | None,
    at: dt.datetime,
) -> None:
    """Many opinion changes in three statements (a 2,000-row sheet): (application id, new
    value, old value, expected version); OpinionConflict if any moved since it was read."""
    firsts = [c for c in changes if c[3] == 0]
    updates = [c for c in changes if c[3] != 0]
    if firsts:
        try:
            session.execute(
                insert(OpinionRow),
                [
                    {
                        "application_id": app_id,
                        "opinion": value.opinion.value,
                        "supported_count": value.supported_count,
                        "comment": value.comment,
                        "updated_at": at,
                        "updated_by_id": user.id,
                        "version": 1,
                    }
                    for app_id, value, _, _ in firsts
                ],
            )
        except IntegrityError:
            session.rollback()
            raise OpinionConflict() from None
    if updates:
        o = OpinionRow.__table__
        result = session.execute(
            o.update()
            .where(o.c.application_id == bindparam("b_id"), o.c.version == bindparam("b_version"))
            .values(
                opinion=bindparam("b_opinion"),
                supported_count=bindparam("b_count"),
                comment=bindparam("b_comment"),
                updated_at=at,
                updated_by_id=user.id,
                version=o.c.version + 1,
            ),
            [
                {
                    "b_id": app_id,
                    "b_version": version,
                    "b_opinion": value.opinion.value,
                    "b_count": value.supported_count,
                    "b_comment": value.comment,
                }
                for app_id, value, _, version in updates
            ],
        )
        if result.rowcount != len(updates):
            raise OpinionConflict()
    session.execute(
        insert(OpinionChangeRow),
        [
            {
                "application_id": app_id,
                "at": at,
                "actor_id": user.id,
                "source": source,
                "file_name": file_name,
                "file_sha256": file_sha256,
                "old_opinion": old[0] if old else None,
                "old_count": old[1] if old else None,
                "old_comment": old[2] if old else None,
                "new_opinion": value.opinion.value,
                "new_count": value.supported_count,
                "new_comment": value.comment,
            }
            for app_id, value, old, _ in changes
        ],
    )
