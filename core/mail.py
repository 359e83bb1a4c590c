"""Sending one e-mail over SMTP (stdlib smtplib): STARTTLS, implicit TLS or a local relay."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from pydantic import BaseModel

from core import clock
from core.settings import MailSettings


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the message (the outbox retries)."""


class Mail(BaseModel):
    """What a mail says; built by core.mail_events, stored in the outbox, sent from there."""

    recipients: list[str]
    subject: str
    body: str
    attachment_name: str | None = None
    attachment: bytes | None = None
    message_id: str = ""


def new_message_id(sender: str) -> str:
    """A Message-ID in the sender's domain, kept across retries so clients drop duplicates."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def build_message(mail: Mail, *, sender: str) -> EmailMessage:
    """The MIME message: French plain text, UTF-8, with the PDF attached when there is one."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(clock.now())
    message["Message-ID"] = mail.message_id or new_message_id(sender)
    message["Content-Language"] = "fr"
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a no-reply address
    message.set_content(mail.body, charset="utf-8")
    if mail.attachment is not None:
        message.add_attachment(
            mail.attachment,
            maintype="application",
            subtype="pdf",
            filename=mail.attachment_name or "document.pdf",
        )
    return message


def send(mail: Mail, settings: MailSettings) -> None:
    """Hand the mail to the SMTP server; MailError on any network or protocol failure."""
    if settings.smtp_host is None:
        raise MailError("aucun serveur SMTP configuré (CNFS_SMTP_HOST)")
    message = build_message(mail, sender=settings.sender)
    context = ssl.create_default_context()  # certificates and host names are verified
    try:
        if settings.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s, context=context
            )
        else:
            client = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.timeout_s
            )
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=context)
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            client.send_message(message, to_addrs=mail.recipients)
    except (OSError, smtplib.SMTPException) as exc:  # socket errors, timeouts, refusals
        raise MailError(f"{type(exc).__name__}: {exc}"[:480]) from exc
