"""Server-side login sessions cost no more than the signed cookie they replace.

Prints the median time (ms) of what a login, a new tab and a rerun do with the cookie, now
(core.auth: a login_sessions row, a random id) and with the previous signed-token code
(reproduced below as the baseline, same database, same moment). Each step opens its own
database session and commits, as a page run does. bcrypt is not included: it is the same
before and after (bench/account_timing.py measures it).

python bench/sessions.py [--runs 300] [--postgres ADMIN_URL]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import accounts, auth, clock  # noqa: E402
from core.db import dispose_engine, get_engine, session_scope  # noqa: E402

KEY = secrets.token_urlsafe(48)
EXPIRY_DAYS = 1.0


# --- the previous code (signed token naming the user), as the baseline -------------------------
def _old_issue(session, user) -> str:
    now = clock.now()
    version = auth.session_version(session=session, user_id=user.id)
    payload = {
        "sub": str(user.id),
        "sv": version,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(days=EXPIRY_DAYS)).timestamp()),
    }
    return jwt.encode(payload, KEY, algorithm="HS256")


def _old_ticket(token: str) -> auth.SessionTicket:
    payload = jwt.decode(
        token,
        KEY,
        algorithms=["HS256"],
        options={"require": ["sub", "sv", "exp"], "verify_exp": False},
    )
    return auth.SessionTicket(
        user_id=int(payload["sub"]),
        version=int(payload["sv"]),
        expires_at=dt.datetime.fromtimestamp(int(payload["exp"]), dt.UTC),
    )


def _medians_ms(old: Callable[[], object], new: Callable[[], object], runs: int):
    # Interleaved, so that a change of machine load weighs on both alike.
    times: dict[Callable, list[float]] = {old: [], new: []}
    for _ in range(runs):
        for action in (old, new):
            start = time.perf_counter()
            action()
            times[action].append((time.perf_counter() - start) * 1000)
    return statistics.median(times[old]), statistics.median(times[new])


def run(url: str, runs: int) -> None:
    engine = get_engine(url)
    accounts.BCRYPT_ROUNDS = 4
    with session_scope(engine) as session:
        user = accounts.create_user(
            session=session, email="banc@mairie.fr", name="Banc", password="cheval-agrafe-7-x"
        )
    with session_scope(engine) as session:
        token, ticket = auth.open_session(
            session=session, user=user, key=KEY, expiry_days=EXPIRY_DAYS
        )
        old_token = _old_issue(session, user)

    def scoped(work: Callable) -> Callable[[], object]:
        def action() -> object:
            with session_scope(engine) as session:
                return work(session)

        return action

    def login(issue: Callable) -> Callable:
        # What pages/login.py does in one database session: the checked password, then the
        # cookie (bcrypt at cost 4 here, so the cookie's share shows).
        def work(session):
            outcome = auth.attempt_login(
                session=session, email=user.email, password="cheval-agrafe-7-x", source="bench"
            )
            return issue(session, outcome.user)

        return work

    def new_issue(session, who):
        return auth.open_session(session=session, user=who, key=KEY, expiry_days=EXPIRY_DAYS)

    def new_tab(session):
        found = auth.ticket_from_cookie(session=session, token=token, key=KEY)
        return auth.check_ticket(session=session, ticket=found)

    def old_tab(session):
        return auth.check_ticket(session=session, ticket=_old_ticket(old_token))

    def rerun(session):
        return auth.check_ticket(session=session, ticket=ticket)

    figures = [
        ("connexion (mot de passe et cookie)", scoped(login(_old_issue)), scoped(login(new_issue))),
        ("nouvel onglet : lire le cookie", scoped(old_tab), scoped(new_tab)),
        ("chaque action : vérifier la session", scoped(rerun), scoped(rerun)),
    ]
    print(f"{url.split('://')[0]}, médiane de {runs} essais (ms)      avant   après")
    for label, old, new in figures:
        before, after = _medians_ms(old, new, runs)
        print(f"  {label:40s} {before:7.2f} {after:7.2f}")
    with session_scope(engine) as session:
        start = time.perf_counter()
        purged = auth.purge_stale(session=session, now=clock.now() + dt.timedelta(days=2))
        took = (time.perf_counter() - start) * 1000
    print(f"  purge au démarrage : {purged[0]} sessions, {purged[1]} compteurs en {took:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--postgres", metavar="ADMIN_URL")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.postgres:
            from tests.databases import fresh_postgres_database

            url = stack.enter_context(
                contextlib.contextmanager(fresh_postgres_database)(args.postgres, "cnfs_bench")
            )
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        try:
            run(url, args.runs)
        finally:
            dispose_engine(url)


if __name__ == "__main__":
    main()
