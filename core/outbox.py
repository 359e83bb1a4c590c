"""The durable outbox: a mail is recorded in the transaction of its event, then sent from here.

A mail server that is down loses nothing: the event (a deposit, an account) is committed with
its mail; delivery is retried with a growing delay. Several instances may deliver at once: each
message is claimed by an UPDATE before it is sent, so only one of them sends it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from core import clock, mail
from core.db import OutboxRow, session_scope
from core.settings import MailSettings

log = logging.getLogger(__name__)

# Delay before the next attempt after the n-th failure; the last one repeats (never gives up
# on a mail without an expiry date, such as a deposit acknowledgement).
RETRY_DELAYS = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=3),
    dt.timedelta(hours=6),
)
CLAIM_LEASE = dt.timedelta(minutes=5)  # longer than any SMTP timeout: a crashed sender's claim ends
RETRY_LOOP_INTERVAL_S = 60.0


class OutboxStatus(BaseModel):
    """What the portal tells a user about one of their mails."""

    id: int
    kind: str
    status: str  # pending | sent | expired
    recipients: list[str]
    created_at: dt.datetime
    sent_at: dt.datetime | None
    attempts: int
    next_attempt_at: dt.datetime
    outbox_only: bool = False


class OutboxEntry(OutboxStatus):
    """A mail with its text, as the demo shows it."""

    subject: str
    body: str | None
    action_url: str | None
    attachment_name: str | None


class DeliveryReport(BaseModel):
    sent: int = 0
    failed: int = 0
    expired: int = 0


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after this many failed attempts."""
    return RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]


def enqueue(
    *,
    session: Session,
    kind: str,
    message: mail.Mail,
    sender: str,
    user_id: int | None = None,
    application_id: int | None = None,
    action_url: str | None = None,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Record a mail in the caller's transaction (sent after it commits); returns its id."""
    now = now or clock.now()
    row = OutboxRow(
        kind=kind,
        created_at=now,
        user_id=user_id,
        application_id=application_id,
        recipients=list(message.recipients),
        message_id=message.message_id or mail.new_message_id(sender),
        subject=message.subject,
        body=message.body,
        action_url=action_url,
        attachment_name=message.attachment_name,
        attachment=message.attachment,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row.id


def _claim(session: Session, message_id: int, now: dt.datetime) -> bool:
    result = session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == message_id,
            OutboxRow.status == "pending",
            OutboxRow.next_attempt_at <= now,
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM_LEASE, attempts=OutboxRow.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _erase_content(row: OutboxRow) -> None:
    # Once delivered (or expired), the table keeps who, what and when, not tokens or PDFs.
    row.body = None
    row.action_url = None
    row.attachment = None


def deliver(
    engine: Engine,
    settings: MailSettings,
    *,
    ids: list[int] | None = None,
    now: dt.datetime | None = None,
    limit: int = 100,
) -> DeliveryReport:
    """Send the due mails (or only `ids`), each claimed first; failures wait for their retry."""
    report = DeliveryReport()
    if settings.outbox_only:
        return report
    now = now or clock.now()
    with session_scope(engine) as session:
        query = (
            select(OutboxRow.id)
            .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if ids is not None:
            query = query.where(OutboxRow.id.in_(ids))
        candidates = list(session.execute(query).scalars())
    for message_id in candidates:
        with session_scope(engine) as session:
            if not _claim(session, message_id, now):
                continue  # another instance has it, or it was sent meanwhile
        with session_scope(engine) as session:
            row = session.get(OutboxRow, message_id, populate_existing=True)
            if row.expires_at is not None and row.expires_at <= now:
                # A reset link sent after its expiry would only confuse.
                row.status, row.claimed_until = "expired", None
                _erase_content(row)
                report.expired += 1
                continue
            message = mail.Mail(
                recipients=row.recipients,
                subject=row.subject,
                body=row.body or "",
                attachment_name=row.attachment_name,
                attachment=row.attachment,
                message_id=row.message_id,
            )
        try:
            mail.send(message, settings)
        except mail.MailError as exc:
            log.warning("courriel %s non envoyé (essai %s) : %s", message_id, row.attempts, exc)
            with session_scope(engine) as session:
                row = session.get(OutboxRow, message_id, populate_existing=True)
                row.claimed_until = None
                row.last_error = str(exc)[:480]
                row.next_attempt_at = clock.now() + retry_delay(row.attempts)
            report.failed += 1
            continue
        with session_scope(engine) as session:
            row = session.get(OutboxRow, message_id, populate_existing=True)
            row.status, row.sent_at, row.claimed_until, row.last_error = (
                "sent",
                clock.now(),
                None,
                None,
            )
            _erase_content(row)
        report.sent += 1
    return report


def _status(row: OutboxRow, outbox_only: bool) -> OutboxStatus:
    return OutboxStatus(
        id=row.id,
        kind=row.kind,
        status=row.status,
        recipients=row.recipients,
        created_at=row.created_at,
        sent_at=row.sent_at,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        outbox_only=outbox_only,
    )


def status_of(*, session: Session, message_id: int, outbox_only: bool = False) -> OutboxStatus:
    """Where one mail stands."""
    return _status(session.get(OutboxRow, message_id, populate_existing=True), outbox_only)


def latest(
    *,
    session: Session,
    kind: str,
    user_id: int | None = None,
    application_id: int | None = None,
    outbox_only: bool = False,
) -> OutboxStatus | None:
    """The most recent mail of this kind for a user or an application, if any."""
    query = select(OutboxRow).where(OutboxRow.kind == kind)
    if user_id is not None:
        query = query.where(OutboxRow.user_id == user_id)
    if application_id is not None:
        query = query.where(OutboxRow.application_id == application_id)
    row = session.execute(query.order_by(OutboxRow.id.desc()).limit(1)).scalar_one_or_none()
    return _status(row, outbox_only) if row else None


def count_since(*, session: Session, kind: str, user_id: int, since: dt.datetime) -> int:
    """How many mails of this kind were recorded for the user since a moment (rate limits)."""
    return len(
        session.execute(
            select(OutboxRow.id).where(
                OutboxRow.kind == kind, OutboxRow.user_id == user_id, OutboxRow.created_at >= since
            )
        ).all()
    )


def recent(*, session: Session, limit: int = 50) -> list[OutboxEntry]:
    """The latest mails with their text, newest first (the demo's « Courriels envoyés »)."""
    rows = session.execute(select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)).scalars()
    return [
        OutboxEntry(
            **_status(row, True).model_dump(),
            subject=row.subject,
            body=row.body,
            action_url=row.action_url,
            attachment_name=row.attachment_name,
        )
        for row in rows
    ]


def pending_count(*, session: Session) -> int:
    return len(session.execute(select(OutboxRow.id).where(OutboxRow.status == "pending")).all())


class RetryLoop:
    """One daemon thread per process and database: delivers due mails every minute, or at once
    when kicked (a reset request must not wait for SMTP in the page run: same timing whether
    the account exists or not)."""

    def __init__(self, engine: Engine, settings: MailSettings) -> None:
        self.engine, self.settings = engine, settings
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="cnfs-outbox", daemon=True)

    def start(self) -> RetryLoop:
        self._thread.start()
        return self

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopped:
            try:
                deliver(self.engine, self.settings)
            except Exception:  # a database hiccup must not end the loop
                log.exception("envoi des courriels en attente impossible")
            self._wake.wait(RETRY_LOOP_INTERVAL_S)
            self._wake.clear()


_loops: dict[str, RetryLoop] = {}
_loops_lock = threading.Lock()


def retry_loop(engine: Engine, settings: MailSettings) -> RetryLoop | None:
    """The process's retry loop for this database, started on first use (None: outbox only)."""
    if settings.outbox_only:
        return None
    key = str(engine.url)
    with _loops_lock:
        loop = _loops.get(key)
        if loop is None:
            loop = _loops[key] = RetryLoop(engine, settings).start()
    return loop
