"""`python -m core mail status | retry`: the outbox seen and flushed from the command line."""

from __future__ import annotations

import argparse
import sys

from core import outbox
from core.db import get_engine, session_scope
from core.settings import SettingsError, get_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core mail", description="Courriels du portail."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="compte les courriels en attente d'envoi")
    sub.add_parser(
        "retry", help="envoie maintenant les courriels en attente dont l'heure est venue"
    )
    return parser


def mail_main(argv: list[str]) -> int:
    """Entry point of `python -m core mail`; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = get_settings(require_cookie_key=False)
    except SettingsError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    engine = get_engine(settings.database_url)
    if args.command == "retry":
        if settings.mail.outbox_only:
            print(
                "Aucun serveur SMTP configuré (CNFS_SMTP_HOST) : rien n'est envoyé.",
                file=sys.stderr,
            )
            return 2
        report = outbox.deliver(engine, settings.mail)
        print(
            f"Envoyés : {report.sent}. Échecs (nouvel essai prévu) : {report.failed}. "
            f"Expirés : {report.expired}."
        )
        return 1 if report.failed else 0
    with session_scope(engine) as session:
        print(f"Courriels en attente d'envoi : {outbox.pending_count(session=session)}.")
    return 0
