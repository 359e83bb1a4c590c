"""python -m core users add|list|set-calls: accounts for reviewers, administrators and
prefectures, with their scope (calls for a reviewer, departments for a prefecture)."""

from __future__ import annotations

import argparse
import getpass
import sys

from core import accounts
from core.db import get_engine, session_scope
from core.settings import SettingsError, get_settings
from core.storage import ROLE_LABELS_FR, Role, User


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line; the trailing newline is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Mot de passe : ")
    second = getpass.getpass("Mot de passe (confirmation) : ")
    if first != second:
        raise accounts.AccountError("Les deux mots de passe saisis sont différents.")
    return first


def _scope_fr(user: User) -> str:
    if user.departments:
        return f", départements {', '.join(user.departments)}"
    if user.calls:
        return f", appels {', '.join(user.calls)}"
    return ""


def _scope_cell(user: User) -> str:
    """The listing's last column: departments of a prefecture, calls of a reviewer."""
    if user.role == Role.ADMIN:
        return "tous les appels"
    return ",".join(user.departments or user.calls)


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
        "--calls",
        help="comptes instructeur (obligatoire) : identifiants des appels instruits, séparés par "
        "des virgules (ex. cnfs-2020-collectivites,cnfs-2021-structures-privees)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="lit le mot de passe sur l'entrée standard (sinon, saisie masquée)",
    )
    sub.add_parser("list", help="liste les comptes et leur périmètre")
    scope = sub.add_parser("set-calls", help="change les appels qu'instruit un compte instructeur")
    scope.add_argument("--email", required=True)
    scope.add_argument("--calls", required=True, help="identifiants séparés par des virgules")
    return parser


def users_main(argv: list[str]) -> int:
    """Entry point of `python -m core users`; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = get_settings(require_cookie_key=False)
        engine = get_engine(settings.database_url)
        if args.command == "add":
            # A wrong scope is said before the password is typed.
            accounts.check_scope(
                Role(args.role),
                accounts.parse_departments(args.departments),
                accounts.parse_calls(args.calls),
            )
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
                    calls=args.calls,
                )
            print(f"Compte créé : {user.email} ({ROLE_LABELS_FR[user.role]}{_scope_fr(user)}).")
            return 0
        if args.command == "set-calls":
            with session_scope(engine) as session:
                user = accounts.set_reviewer_calls(
                    session=session, email=args.email, calls=args.calls
                )
            print(f"Appels instruits par {user.email} : {', '.join(user.calls)}.")
            return 0
        with session_scope(engine) as session:
            users = accounts.list_users(session=session)
        if not users:
            print("Aucun compte.")
        for user in users:
            line = f"{user.id}\t{user.role.value}\t{user.email}\t{user.name}"
            print(line + (f"\t{_scope_cell(user)}" if _scope_cell(user) else ""))
        return 0
    except (accounts.AccountError, SettingsError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
