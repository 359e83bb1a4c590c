"""Page helpers for mail: send right after the commit, the retry loop, the address notice."""

from __future__ import annotations

import streamlit as st

from core import account_links, mail_events, outbox
from core.db import get_engine
from core.formatting import format_datetime_fr
from core.outbox import OutboxStatus
from core.settings import Settings
from core.storage import User
from pages import components


def start_retry_loop(settings: Settings) -> None:
    """Every instance retries due mails once a minute (nothing to deploy beside the app)."""
    outbox.retry_loop(get_engine(settings.database_url), settings.mail)


def send_now(settings: Settings, message_id: int | None) -> OutboxStatus | None:
    """Try to send a just-committed mail in this run; its status says what to tell the user."""
    if message_id is None:
        return None
    outbox.deliver(get_engine(settings.database_url), settings.mail, ids=[message_id])
    with components.db() as session:
        return outbox.status_of(
            session=session, message_id=message_id, outbox_only=settings.mail.outbox_only
        )


def send_later(settings: Settings) -> None:
    """Wake the retry loop instead of sending in the page run (reset requests: same timing
    whether the address has an account or not)."""
    loop = outbox.retry_loop(get_engine(settings.database_url), settings.mail)
    if loop is not None:
        loop.kick()


def sent_sentence(settings: Settings, status: OutboxStatus | None, what: str) -> tuple[str, bool]:
    """(French sentence, delivered?) about a mail, e.g. the deposit acknowledgement."""
    addresses = ", ".join(status.recipients) if status else ""
    if status is None:
        return f"{what} n'a pas été enregistré.", False
    if status.outbox_only and settings.demo_mode:
        return (
            f"{what} pour {addresses} n'est pas envoyé en démonstration : lisez-le dans "
            "le menu « Courriels (démonstration) ».",
            True,
        )
    if status.outbox_only:
        return f"{what} pour {addresses} est enregistré ; il partira dès que possible.", False
    if status.status == "sent":
        return f"{what} a été envoyé à {addresses} le {format_datetime_fr(status.sent_at)}.", True
    return (
        f"{what} n'a pas encore pu être envoyé à {addresses} (serveur de courriel indisponible). "
        f"Rien n'est perdu : un nouvel essai aura lieu automatiquement à partir du "
        f"{format_datetime_fr(status.next_attempt_at)}.",
        False,
    )


def address_notice(settings: Settings, user: User, *, key: str) -> bool:
    """Say that the address is still to confirm, with a button to get a new link; True if so."""
    with components.db() as session:
        if account_links.is_confirmed(session=session, user_id=user.id):
            return False
    where = " (en démonstration : menu « Courriels (démonstration) »)" if settings.demo_mode else ""
    st.warning(
        components.escape_md(
            f"Adresse électronique à confirmer : ouvrez le lien envoyé à {user.email}{where}. "
            "Vous pouvez préparer votre candidature, mais pas la déposer avant."
        ),
        icon=":material/mark_email_unread:",
    )
    if st.button("Recevoir un nouveau lien de confirmation", key=key):
        with components.db() as session:
            message_id = mail_events.request_email_confirmation(
                session=session, user=user, settings=settings
            )
        if message_id is None:
            st.error(
                "Plusieurs liens ont déjà été envoyés cette heure-ci : vérifiez vos courriels "
                "indésirables, ou réessayez dans une heure."
            )
        else:
            text, delivered = sent_sentence(
                settings, send_now(settings, message_id), "Le lien de confirmation"
            )
            (st.success if delivered else st.warning)(components.escape_md(text))
    return True
