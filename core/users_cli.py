"""python -m core users add|list: accounts for ANCT reviewers, administrators and prefectures."""

from __future__ import annotations

import argparse
import getpass
import sys

from core import accounts
from core.db import get_engine, session_scope
from core.settings import SettingsError, get_settings
from core.storage import ROLE_LABELS_FR, Role


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line; the trailing newline is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mot de passe : ")
    second = getpass.getpass("Mot de passe (confirmation) : ")
    if first != second:
        raise accounts.AccountError("Les deux mots de passe saisis sont différents.")
    return first


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core users", description="Gestion des comptes du portail."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="crée un compte (instructeur, administrateur ou candidat)")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.REVIEWER.value)
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True)
    add.add_argument(
        "--departments",
        help="comptes préfecture : départements couverts, séparés par des virgules (ex. 93,95)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="lit le mot de passe sur l'entrée standard (sinon, saisie masquée)",
    )
    sub.add_parser("list", help="liste les comptes")
    return parser


def users_main(argv: list[str]) -> int:
    """Entry point of `python -m core users`; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = get_settings(require_cookie_key=False)
        engine = get_engine(settings.database_url)
        if args.command == "add":
            password = _read_password(args.password_stdin)
            with session_scope(engine) as session:
                user = accounts.create_user(
                    session=session,
                    email=args.email,
                    name=args.name,
                    password=password,
                    role=Role(args.role),
                    email_confirmed=True,  # created by an operator, who vouches for the address
                    departments=args.departments,
                )
            scope = f", départements {', '.join(user.departments)}" if user.departments else ""
            print(f"Compte créé : {user.email} ({ROLE_LABELS_FR[user.role]}{scope}).")
            return 0
        with session_scope(engine) as session:
            users = accounts.list_users(session=session)
        if not users:
            print("Aucun compte.")
        for user in users:
            line = f"{user.id}\t{user.role.value}\t{user.email}\t{user.name}"
            print(line + (f"\t{','.join(user.departments)}" if user.departments else ""))
        return 0
    except (accounts.AccountError, SettingsError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
