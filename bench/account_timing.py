"""Registration and login take as long whether the address has an account or not.

Prints the median time of each path (bcrypt at its production cost), on a throwaway SQLite
database: python bench/account_timing.py [rounds]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from core import accounts, auth, mail_events
from core.db import dispose_engine, get_engine, session_scope


def _medians_ms(actions: dict, rounds: int) -> dict[str, float]:
    # Round robin, so that a change of machine load weighs on every path alike.
    times: dict[str, list[float]] = {label: [] for label in actions}
    for n in range(rounds):
        for label, action in actions.items():
            start = time.perf_counter()
            action(n)
            times[label].append((time.perf_counter() - start) * 1000)
    return {label: statistics.median(t) for label, t in times.items()}


def main(rounds: int = 7) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = get_engine(url)
        password = "cheval-agrafe-batterie-7"
        with session_scope(engine) as session:
            accounts.create_user(
                session=session, email="pris@mairie.fr", name="Pris", password=password
            )

        def register(email_of):
            def run(n: int) -> None:
                # As pages/register.py: a new account's confirmation mail is recorded too
                # (a taken address records its owner's notice inside accounts.register).
                with session_scope(engine) as session:
                    user = accounts.register(
                        session=session, email=email_of(n), name="Camille", password=password
                    )
                    if user is not None:
                        mail_events.request_email_confirmation(session=session, user=user)

            return run

        def login(email: str, source_of):
            def run(n: int) -> None:
                with session_scope(engine) as session:
                    auth.attempt_login(
                        session=session,
                        email=email,
                        password="faux-" + password,
                        source=source_of(n),
                    )

            return run

        figures = {
            "inscription, adresse libre": register(lambda n: f"libre{n}@mairie.fr"),
            "inscription, adresse prise": register(lambda n: "pris@mairie.fr"),
            "connexion, compte existant, mauvais mot de passe": login(
                "pris@mairie.fr", lambda n: f"10.0.0.{n}"
            ),
            "connexion, adresse inconnue": login("inconnu@mairie.fr", lambda n: f"10.0.1.{n}"),
        }
        print(f"bcrypt cost {accounts.BCRYPT_ROUNDS}, median of {rounds} runs")
        for label, median in _medians_ms(figures, rounds).items():
            print(f"{label:52s} {median:7.1f} ms")
        dispose_engine(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
