"""Command line: python -m core calls | evaluate | schema | pdf | users."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from core import questionnaire
from core.calls import Call, CallFileError, get_call, load_calls
from core.models import Application


class CliError(Exception):
    """A user error: printed in French on stderr, exit code 2."""


def _attachment_json(call: Call, attachment_id: str) -> dict[str, Any]:
    """A piece as the call's questionnaire asks it (required, and when)."""
    asked = questionnaire.question(call, f"attachments.{attachment_id}")
    return {
        "id": attachment_id,
        "required": bool(asked and asked.question.required),
        "required_when": (asked.question.asked_when or None) if asked else None,
    }


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"date invalide « {value} » : attendu AAAA-MM-JJ, par exemple 2021-01-14"
        ) from None


MAX_INTEGER_DIGITS = 15  # counts and amounts of a dossier; a SIRET is a string
MAX_JSON_DEPTH = 50  # a dossier nests 3 levels deep


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise CliError(
            f"un nombre du dossier a {len(literal.lstrip('-'))} chiffres : au plus "
            f"{MAX_INTEGER_DIGITS} sont admis (vérifiez le fichier)"
        )
    return int(literal)


def _nesting_depth(text: str) -> int:
    """Deepest [ or { nesting outside strings, counted without recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _read_json(path: str) -> Any:
    try:
        # utf-8-sig: files saved by Windows editors start with a byte-order mark.
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"Fichier introuvable : {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"Impossible de lire le fichier {path} : {exc}") from None
    if _nesting_depth(text) > MAX_JSON_DEPTH:
        raise CliError(
            f"{path} est trop profondément imbriqué (plus de {MAX_JSON_DEPTH} niveaux de "
            "crochets ou d'accolades) : ce n'est pas un dossier de candidature"
        )
    try:
        return json.loads(text, parse_int=_bounded_int)
    except CliError as exc:
        raise CliError(f"{path} : {exc}") from None
    except json.JSONDecodeError as exc:
        raise CliError(
            f"{path} n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno}) : {exc.msg}"
        ) from None
    except (RecursionError, ValueError):
        raise CliError(f"{path} n'est pas un dossier JSON lisible") from None


def _call_for(data: Any, call_id: str | None):
    chosen = call_id or (data.get("call_id") if isinstance(data, dict) else None)
    if not chosen:
        raise CliError(
            "Le dossier n'indique pas d'appel (champ « call_id ») : précisez --call. "
            f"Appels disponibles : {', '.join(load_calls())}"
        )
    try:
        return get_call(str(chosen))
    except KeyError:
        raise CliError(
            f"Appel inconnu : {chosen}. Appels disponibles : {', '.join(load_calls())}"
        ) from None


def cmd_calls(args: argparse.Namespace) -> int:
    calls = load_calls()
    if args.json:
        payload = [
            {
                "id": c.id,
                "title": c.title,
                "version": c.version,
                "opens_on": c.opens_on.isoformat(),
                "closes_on": c.closes_on.isoformat() if c.closes_on else None,
                "kind": c.kind,
                "commitments": c.commitment_ids(),
                "attachments": [_attachment_json(c, a.id) for a in c.attachments],
                "target_publics": [t.id for t in c.target_publics],
                "territories": [t.id for t in c.territories],
            }
            for c in calls.values()
        ]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    for c in calls.values():
        closes = c.closes_on.isoformat() if c.closes_on else "au fil de l'eau"
        print(f"{c.id}  (version {c.version})")
        print(f"  {c.title}")
        print(f"  ouverture {c.opens_on.isoformat()}, clôture {closes}")
        print(f"  engagements : {', '.join(c.commitment_ids())}")
        if c.attachments:
            print(f"  pièces jointes : {', '.join(a.id for a in c.attachments)}")
        if c.target_publics:
            print(f"  publics visés : {', '.join(t.id for t in c.target_publics)}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from core.rules import evaluate

    data = _read_json(args.file)
    call = _call_for(data, args.call)
    verdict = evaluate(data, call, args.today or dt.date.today())
    print(json.dumps(verdict.public_dict(), ensure_ascii=False, indent=2))
    return 0


def cmd_schema(_args: argparse.Namespace) -> int:
    print(json.dumps(Application.model_json_schema(), ensure_ascii=False, indent=2))
    return 0


def cmd_pdf(args: argparse.Namespace) -> int:
    from core.pdf import render_application
    from core.rules import coerce_application, evaluate

    data = _read_json(args.file)
    call = _call_for(data, args.call)
    today = args.today or dt.date.today()
    application, _ = coerce_application(data)
    verdict = evaluate(application, call, today)
    generated_at = dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.UTC)
    pdf = render_application(application, verdict, call, generated_at=generated_at)
    try:
        Path(args.output).write_bytes(pdf)
    except OSError as exc:
        raise CliError(f"Impossible d'écrire {args.output} : {exc}") from None
    print(f"PDF écrit : {args.output} ({len(pdf)} octets)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core", description="Portail CNFS : appels, règles, dossiers."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("calls", help="liste les appels et leurs engagements")
    p.add_argument("--json", action="store_true", help="sortie JSON")
    p.set_defaults(func=cmd_calls)
    p = sub.add_parser("evaluate", help="évalue un dossier JSON et imprime le verdict")
    p.add_argument("file")
    p.add_argument("--today", type=_parse_date, help="date du jour (AAAA-MM-JJ)")
    p.add_argument("--call", help="identifiant de l'appel, si le dossier n'en indique pas")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("schema", help="imprime le schéma JSON d'un dossier")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("pdf", help="produit le PDF d'un dossier JSON")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--today", type=_parse_date)
    p.add_argument("--call")
    p.set_defaults(func=cmd_pdf)
    sub.add_parser("users", help="gère les comptes (python -m core users --help)", add_help=False)
    sub.add_parser("mail", help="courriels en attente (python -m core mail --help)", add_help=False)
    sub.add_parser(
        "seed-scale", help="remplit une base de test de dossiers déposés", add_help=False
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["users"]:
        from core.users_cli import users_main

        return users_main(argv[1:])
    if argv[:1] == ["mail"]:
        from core.mail_cli import mail_main

        return mail_main(argv[1:])
    if argv[:1] == ["seed-scale"]:
        from core.scale_seed import seed_scale_main

        return seed_scale_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, CallFileError) as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
