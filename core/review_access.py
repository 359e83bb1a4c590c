"""Who reads the reviewer's pages, and which calls: the role check and the account's scope.

Every reviewer read starts with require_reviewer (reviewers and admins only). A reviewer reads
only the calls of its scope: the queries add storage.read_conditions(user), the SQL twin of
User.can_read, which the dossier reads go through (storage.check_readable).
"""

from __future__ import annotations

from core.calls import Call, load_calls
from core.formatting import count_fr
from core.storage import Forbidden, Role, User

REVIEW_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})


def require_reviewer(user: User) -> None:
    """Refuse anyone who is not a reviewer or an admin (applicants never see others' files)."""
    if user.role not in REVIEW_ROLES:
        raise Forbidden(
            "Cette page est réservée aux instructeurs de l'ANCT et aux services préfectoraux."
        )


def readable_calls(user: User) -> dict[str, Call]:
    """The loaded calls this account reads, by id (a stored id not loaded here is skipped)."""
    return {cid: c for cid, c in load_calls().items() if user.reads_call(cid)}


def scope_summary(user: User) -> str:
    """« Appels que vous instruisez : … », from the call titles, for the reviewer's pages."""
    if user.role == Role.ADMIN:
        return "Vous instruisez tous les appels du portail (compte administrateur)."
    calls = load_calls()
    known = [calls[cid].title for cid in user.calls if cid in calls]
    if not known:
        return (
            "Aucun des appels que vous instruisez n'est encore ouvert sur ce portail : "
            "aucune candidature à consulter pour l'instant."
        )
    waiting = len(user.calls) - len(known)
    note = (
        f" ({count_fr(waiting, 'autre appel', 'autres appels')} pas encore ouvert"
        f"{'s' if waiting > 1 else ''} sur ce portail)"
        if waiting
        else ""
    )
    label = "Appel que vous instruisez" if len(known) == 1 else "Appels que vous instruisez"
    return f"{label} : " + " ; ".join(f"« {t} »" for t in known) + note + "."


def calls_in_view(user: User, call_id: str | None) -> list[Call]:
    """The calls a dashboard table covers: one (if readable and loaded) or the whole scope."""
    calls = readable_calls(user)
    if call_id is None:
        return list(calls.values())
    return [calls[call_id]] if call_id in calls else []
