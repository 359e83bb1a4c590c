"""What the portal mails, and when: each function records its mail in the caller's transaction.

Delivery happens after the commit (core.outbox); nothing here talks to an SMTP server.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from core import account_links, clock, outbox
from core.accounts import EMAIL_RE, get_user_by_email, normalize_email
from core.calls import Call
from core.formatting import format_date_fr, format_datetime_fr
from core.mail import Mail
from core.mail_texts import render
from core.settings import Settings, get_settings
from core.storage import SubmissionRecord, User

CONFIRM_EMAIL = "confirm_email"
RESET_PASSWORD = "reset_password"  # noqa: S105 (a mail kind, not a secret)
DEPOSIT_ACKNOWLEDGEMENT = "deposit_acknowledgement"
ACCOUNT_LOCKED = "account_locked"
REGISTRATION_ATTEMPT = "registration_attempt"

# Pages the links open (url_path of st.Page in streamlit_app.py).
CONFIRM_PATH = "confirmer-adresse"
RESET_PATH = "mot-de-passe-oublie"

RESET_REQUESTS_PER_HOUR = 3  # more requests get the same answer and no mail (no mail bombing)
CONFIRMATIONS_PER_HOUR = 5
LOCKOUT_NOTICE_GAP = dt.timedelta(hours=1)
REGISTRATION_NOTICE_GAP = dt.timedelta(hours=1)  # repeated attempts: one mail an hour


class Account(Protocol):
    id: int
    email: str
    name: str


def settings_or_env(settings: Settings | None) -> Settings:
    return settings or get_settings(require_cookie_key=False)


def _link(settings: Settings, path: str, token: str) -> str:
    # Only the configured public address and our own token: never a Host header or user text.
    return f"{settings.base_url}/{path}?{urlencode({'jeton': token})}"


def _enqueue(session: Session, settings: Settings, kind: str, mail: Mail, **extra) -> int:
    return outbox.enqueue(
        session=session, kind=kind, message=mail, sender=settings.mail.sender, **extra
    )


def request_email_confirmation(
    *, session: Session, user: User, settings: Settings | None = None
) -> int | None:
    """Mail a confirmation link to the account's address (None: too many asked this hour)."""
    settings = settings_or_env(settings)
    now = clock.now()
    recent = outbox.count_since(
        session=session, kind=CONFIRM_EMAIL, user_id=user.id, since=now - dt.timedelta(hours=1)
    )
    if recent >= CONFIRMATIONS_PER_HOUR:
        return None
    token, expires = account_links.issue(
        session=session, user_id=user.id, purpose=account_links.Purpose.CONFIRM_EMAIL, now=now
    )
    link = _link(settings, CONFIRM_PATH, token)
    subject, body = render(
        CONFIRM_EMAIL,
        name=user.name,
        email=user.email,
        link=link,
        expires=format_date_fr(expires.date()),
    )
    mail = Mail(recipients=[user.email], subject=subject, body=body)
    return _enqueue(
        session, settings, CONFIRM_EMAIL, mail, user_id=user.id, action_url=link, expires_at=expires
    )


def password_reset_requested(
    *, session: Session, email: str, settings: Settings | None = None
) -> None:
    """Mail a reset link if the address has an account; the caller says the same either way."""
    settings = settings_or_env(settings)
    user = get_user_by_email(session=session, email=email)
    if user is None:
        return
    now = clock.now()
    recent = outbox.count_since(
        session=session, kind=RESET_PASSWORD, user_id=user.id, since=now - dt.timedelta(hours=1)
    )
    if recent >= RESET_REQUESTS_PER_HOUR:
        return
    token, expires = account_links.issue(
        session=session, user_id=user.id, purpose=account_links.Purpose.RESET_PASSWORD, now=now
    )
    link = _link(settings, RESET_PATH, token)
    subject, body = render(
        RESET_PASSWORD,
        name=user.name,
        email=user.email,
        link=link,
        expires=format_datetime_fr(expires),
    )
    mail = Mail(recipients=[user.email], subject=subject, body=body)
    _enqueue(
        session,
        settings,
        RESET_PASSWORD,
        mail,
        user_id=user.id,
        action_url=link,
        expires_at=expires,
    )


def registration_attempted(
    session: Session, user: Account, settings: Settings | None = None
) -> int | None:
    """Someone tried to register the address of an existing account: tell its owner, with a
    password-reset link (None: already told within the hour)."""
    settings = settings_or_env(settings)
    now = clock.now()
    if outbox.count_since(
        session=session,
        kind=REGISTRATION_ATTEMPT,
        user_id=user.id,
        since=now - REGISTRATION_NOTICE_GAP,
    ):
        return None
    token, expires = account_links.issue(
        session=session, user_id=user.id, purpose=account_links.Purpose.RESET_PASSWORD, now=now
    )
    link = _link(settings, RESET_PATH, token)
    subject, body = render(
        REGISTRATION_ATTEMPT,
        name=user.name,
        email=user.email,
        attempted_at=format_datetime_fr(now),
        login_link=settings.base_url,
        link=link,
        expires=format_datetime_fr(expires),
    )
    mail = Mail(recipients=[user.email], subject=subject, body=body)
    return _enqueue(
        session,
        settings,
        REGISTRATION_ATTEMPT,
        mail,
        user_id=user.id,
        action_url=link,
        expires_at=expires,
    )


def deposit_recipients(user: User, contact_email: str | None) -> list[str]:
    """The account's address, and the contact's when it is a different, well-formed one."""
    recipients = [user.email]
    contact = normalize_email(contact_email or "")
    if contact and EMAIL_RE.match(contact) and contact != normalize_email(user.email):
        recipients.append(contact)
    return recipients


def deposit_acknowledged(
    *,
    session: Session,
    user: User,
    submission: SubmissionRecord,
    call: Call,
    pdf: bytes,
    settings: Settings | None = None,
) -> int:
    """The acknowledgement of a deposit, with its PDF, to the account and the contact."""
    settings = settings_or_env(settings)
    data = submission.data
    review = submission.verdict.review_date
    after = ""
    if call.after_submission:
        after = (
            f"\nEt maintenant ? {call.after_submission.text} Une question : "
            f"{call.after_submission.contact_email}.\n"
        )
    subject, body = render(
        DEPOSIT_ACKNOWLEDGEMENT,
        dossier_number=submission.dossier_number,
        structure_name=data.structure.name or "votre structure",
        call_title=call.short_title,
        submitted_at=format_datetime_fr(submission.submitted_at),
        # A call without a monthly review (the 93 AMI) has no date to announce.
        review_line=f"Date d'examen prévue : {format_date_fr(review)}\n" if review else "",
        after_submission=after,
        account_email=user.email,
    )
    mail = Mail(
        recipients=deposit_recipients(user, data.contact.email),
        subject=subject,
        body=body,
        attachment_name=f"{submission.dossier_number}.pdf",
        attachment=pdf,
    )
    return _enqueue(
        session,
        settings,
        DEPOSIT_ACKNOWLEDGEMENT,
        mail,
        user_id=user.id,
        application_id=submission.application_id,
    )


def lockout_notice(
    session: Session,
    user: Account,
    settings: Settings,
    *,
    until: dt.datetime | None = None,
    source: str | None = None,
) -> int | None:
    now = clock.now()
    if outbox.count_since(
        session=session, kind=ACCOUNT_LOCKED, user_id=user.id, since=now - LOCKOUT_NOTICE_GAP
    ):
        return None  # one notice an hour is enough, however often the account is attacked
    when = (
        f"jusqu'au {format_datetime_fr(until)} (heure de Paris)"
        if until and until > now
        else "pour quelques minutes"
    )
    subject, body = render(
        ACCOUNT_LOCKED,
        name=user.name,
        email=user.email,
        until=when,
        source=source or "inconnue",
        login_link=settings.base_url,
    )
    mail = Mail(recipients=[user.email], subject=subject, body=body)
    return _enqueue(
        session,
        settings,
        ACCOUNT_LOCKED,
        mail,
        user_id=user.id,
        expires_at=now + dt.timedelta(days=1),
    )
