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

from core import accounts, auth
from core.db import dispose_engine, get_engine, session_scope


def _median_ms(action, rounds: int) -> float:
    times = []
    for n in range(rounds):
        start = time.perf_counter()
        action(n)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


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
                with session_scope(engine) as session:
                    accounts.register(
                        session=session, email=email_of(n), name="Camille", password=password
                    )

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
        for label, action in figures.items():
            print(f"{label:52s} {_median_ms(action, rounds):7.1f} ms")
        dispose_engine(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
