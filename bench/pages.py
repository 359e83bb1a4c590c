"""Benchmark of the applicant pages: server-side time of one interaction on each step.

One interaction = change one widget, then the AppTest rerun that saves the draft and redraws
the page with its eligibility panel. Runs on a temporary SQLite database.

Run: python bench/pages.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is named pages.py: keep its folder off the path so `pages` is the app's package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

TARGET_MS = 150


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="interactions per step")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="cnfs-bench-pages-"))
    os.environ.update(
        CNFS_DATABASE_URL=f"sqlite:///{tmp / 'bench.sqlite3'}",
        CNFS_DATA_DIR=str(tmp),
        CNFS_DEMO="0",
        CNFS_COOKIE_KEY=secrets.token_urlsafe(48),
        CNFS_TODAY="2021-02-10",
    )
    from streamlit.testing.v1 import AppTest

    from core import accounts, auth, storage
    from core.calls import get_call
    from core.db import get_engine, session_scope
    from core.models import Application
    from core.storage import Role
    from tests.builders import WAVE1, complete_application
    from tests.conftest import login_ticket

    accounts.BCRYPT_ROUNDS = 4
    with session_scope(get_engine()) as session:
        user = accounts.create_user(
            session=session,
            email="bench@mairie.fr",
            name="Banc d'essai",
            password="mot-de-passe-2021",
            role=Role.APPLICANT,
        )
        # A full draft (not submitted), minus the coordinator, so every step shows its widgets.
        data = complete_application(WAVE1, **{"posts.coordinator_wanted": True})
        data["structure"]["siret"] = None
        record = storage.create_application(
            session=session, user=user, call_id=WAVE1, data=Application.model_validate(data)
        )
        version = auth.session_version(session=session, user_id=user.id)
    dossier = record.id

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["_cnfs_auth"] = login_ticket(user, version)
    at.query_params["dossier"] = str(dossier)
    at.run()

    def key(path: str) -> str:
        return f"f:{dossier}:{path}"

    commitment = get_call(WAVE1).commitments[0].id
    # step -> (page, one interaction given its index: changes one widget)
    steps: dict[str, tuple[str, Callable[[int], None]]] = {
        "1 Structure": (
            "pages/step_1_structure.py",
            lambda i: at.text_input(key=key("structure.commune")).input(f"Montreuil {i}"),
        ),
        "2 Postes": (
            "pages/step_2_postes.py",
            lambda i: at.number_input(key=key("posts.count")).set_value(2 + i % 2),
        ),
        "3 Coordinateur": (
            "pages/step_3_coordinateur.py",
            lambda i: at.text_area(key=key("posts.coordinator_scope")).input(f"Commune {i}"),
        ),
        "4 Engagements": (
            "pages/step_4_engagements.py",
            lambda i: at.checkbox(key=key(f"commitments.{commitment}")).set_value(i % 2 == 0),
        ),
        "5 Récapitulatif": (
            "pages/step_5_recapitulatif.py",
            None,  # no form widget: a plain rerun (what a panel link or a reload costs)
        ),
    }
    print(f"Une interaction = un widget modifié + rerun AppTest ; {args.runs} mesures par étape.")
    worst = 0.0
    for name, (page, interact) in steps.items():
        at.switch_page(page).run()
        samples = []
        for i in range(args.runs + 3):
            if interact is not None:
                interact(i)
            began = time.perf_counter()
            at.run()
            elapsed = (time.perf_counter() - began) * 1000
            if at.exception:
                raise SystemExit(f"{name}: {at.exception[0].value}")
            if i >= 3:  # warm-up
                samples.append(elapsed)
        median = statistics.median(samples)
        worst = max(worst, median)
        p90 = sorted(samples)[int(len(samples) * 0.9)]
        print(f"{name:<18} médiane {median:6.1f} ms   p90 {p90:6.1f} ms")
    with session_scope(get_engine()) as session:
        saved = storage.get_application(session=session, user=user, application_id=dossier)
    print(f"Brouillon enregistré {saved.version - 1} fois pendant la mesure.")
    verdict = "OK" if worst <= TARGET_MS else "AU-DESSUS DE LA CIBLE"
    print(f"Pire médiane : {worst:.1f} ms (cible ≤ {TARGET_MS} ms) : {verdict}")


if __name__ == "__main__":
    main()
