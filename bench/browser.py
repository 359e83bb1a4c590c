"""Felt speed in a real browser (Chromium via Playwright): medians over several runs, printed.

python bench/browser.py [--runs 5] [--count 35000]

On a fresh PostgreSQL database (created, then dropped) seeded with --count submitted dossiers
(core.scale_seed), one applicant with a draft and one reviewer, it starts its own server and
times what a person waits for:
- a new visitor sees the login form (an empty browser cache), a returning visitor too (the
  browser has Streamlit's scripts cached), and the very first visitor right after a start;
- a field change settles (commit with Tab → rerun finished and quiet);
- « Étape suivante »;
- a dossier opens (reviewer, by its number);
- the reviewer dashboard, and a filter of the listing.
"Settled" is measured in the page: from the press (mousedown or keydown, as the page saw it)
to the time the app's script state returns to "notRunning" (and stays there), from a
MutationObserver, not from fixed waits. Before 2026-12-02 it was timed from before Playwright's
call, which added Playwright's own checks (40-60 ms on this machine) to every figure.
Skipped with a message when PostgreSQL or Chromium is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The script directory holds bench/pages.py, which would shadow the pages package.
sys.path[0] = str(ROOT)

from bench.load import PASSWORD, BenchServer, postgres_available, seed  # noqa: E402
from tests.databases import fresh_postgres_database  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REVIEWER_EMAIL = "instructeur@banc.example.fr"
QUIET_MS = 400  # the state must stay "notRunning" this long (a rerun may chain into another)

# Records every change of the script state with its time, before any page script runs.
OBSERVER_JS = """
window.__cnfsStates = [];
// The moment the person acts (mouse button or key pressed), as the page sees it: Playwright's
// own checks before it presses (element visible, stable for two frames: 40-60 ms here) are not
// time the person waits.
window.__cnfsInputs = [];
for (const type of ['mousedown', 'keydown']) {
  document.addEventListener(type, () => window.__cnfsInputs.push(performance.now()), true);
}
new MutationObserver((records) => {
  for (const r of records) {
    if (r.attributeName === 'data-test-script-state') {
      window.__cnfsStates.push([performance.now(), r.target.getAttribute(r.attributeName)]);
    }
  }
}).observe(document, {attributes: true, subtree: true,
                      attributeFilter: ['data-test-script-state']});
"""
SETTLED_JS = """([t0, quiet]) => {
  // Any state change since the action (it may have interrupted a run still going), ending
  // "notRunning" and quiet since; timed from the press itself.
  const s = (window.__cnfsStates || []).filter(x => x[0] >= t0);
  if (s.length === 0) return false;
  const last = s[s.length - 1];
  if (last[1] !== 'notRunning' || performance.now() - last[0] < quiet) return false;
  const pressed = (window.__cnfsInputs || []).find(x => x >= t0);
  return last[0] - (pressed === undefined ? t0 : pressed);
}"""
BUDGETS = {
    "nouveau visiteur : formulaire de connexion": 1.5,
    "visiteur qui revient (cache du navigateur)": 1.5,
    "premier visiteur après démarrage du serveur": 3.0,
    "modification d'un champ (jusqu'au calme)": 0.25,
    "« Étape suivante »": 0.3,
    "ouverture d'un dossier": 0.5,
    "tableau de bord (instructeur)": 0.5,
    "filtre de la liste des candidatures": 0.3,
}


def settle(page, action) -> float:
    """Seconds from the action to the end of the rerun it caused (measured in the page)."""
    t0 = page.evaluate("() => performance.now()")
    action()
    handle = page.wait_for_function(SETTLED_JS, arg=[t0, QUIET_MS], polling=50, timeout=60_000)
    return handle.json_value() / 1000


FAILURES: dict[str, int] = {}


def timed(results: dict[str, list[float]], label: str, measure) -> None:
    """Record one measurement; a timeout is counted and printed, and the bench goes on."""
    try:
        results[label].append(measure())
    except Exception as exc:
        FAILURES[label] = FAILURES.get(label, 0) + 1
        print(f"échec : {label} ({type(exc).__name__})")


def idle(page) -> None:
    """Wait for a settled page without timing (between measurements)."""
    page.wait_for_function(
        """() => { const a = document.querySelector('[data-testid="stApp"]');
                   return a && a.getAttribute('data-test-script-state') === 'notRunning'; }""",
        timeout=60_000,
    )
    page.wait_for_timeout(QUIET_MS)


def login_form_seconds(context, url: str) -> float:
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.get_by_label("Adresse électronique").wait_for(state="visible", timeout=60_000)
    seconds = time.perf_counter() - started
    page.close()
    return seconds


def log_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("button", name="Se déconnecter").wait_for(timeout=60_000)
    idle(page)


def report(results: dict[str, list[float]]) -> None:
    print(f"{'mesure':<46} {'médiane':>8} {'min':>7} {'max':>7}  budget")
    for label, values in results.items():
        median = statistics.median(values)
        budget = BUDGETS[label]
        verdict = "OK" if median <= budget else "DÉPASSÉ"
        print(
            f"{label:<46} {median:7.3f}s {min(values):6.3f}s {max(values):6.3f}s  "
            f"≤ {budget:g} s : {verdict}  (n={len(values)})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=35_000)
    args = parser.parse_args()
    admin_url = os.environ.get("CNFS_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    missing = postgres_available(admin_url)
    if missing:
        print(f"Banc navigateur ignoré : PostgreSQL injoignable ({admin_url}) — {missing}")
        return 0
    if not CHROMIUM.is_file():
        print(f"Banc navigateur ignoré : Chromium absent ({CHROMIUM}) — apt-get install chromium")
        return 0
    from playwright.sync_api import sync_playwright
    from sqlalchemy import text

    from core.db import get_engine
    from core.scale_seed import seed_scale

    print("charge machine au début : " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    results: dict[str, list[float]] = {label: [] for label in BUDGETS}
    databases = fresh_postgres_database(admin_url, prefix="cnfs_browser")
    url = next(databases)
    try:
        engine = get_engine(url)
        started = time.perf_counter()
        seed_scale(engine, count=args.count, drafts=args.count // 10)
        print(f"{args.count} dossiers déposés créés en {time.perf_counter() - started:.0f} s")
        (applicant,) = seed(url, 1, "navigateur", rounds=12)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (email, name, password_hash, role, "
                    "session_version, created_at) SELECT :e, 'Instructeur banc', password_hash, "
                    "'reviewer', 1, created_at FROM users WHERE email = :a"
                ),
                {"e": REVIEWER_EMAIL, "a": "navigateur0@banc.example.fr"},
            )
            # An ANCT reviewer reads the CNFS calls (scope of issue 11).
            conn.execute(
                text(
                    "INSERT INTO user_calls (user_id, call_id) SELECT id, c.call_id FROM users, "
                    "(SELECT DISTINCT call_id FROM applications) c WHERE email = :e"
                ),
                {"e": REVIEWER_EMAIL},
            )
            dossier_id = conn.execute(
                text("SELECT min(application_id) FROM submissions")
            ).scalar_one()
        engine.dispose()
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )

            def context():
                ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1000})
                ctx.add_init_script(OBSERVER_JS)
                return ctx

            for _ in range(args.cold_runs):
                server = BenchServer(database_url=url, data_dir=Path(tmp)).start()
                try:
                    ctx = context()
                    results["premier visiteur après démarrage du serveur"].append(
                        login_form_seconds(ctx, server.url)
                    )
                    ctx.close()
                finally:
                    server.stop()
            server = BenchServer(database_url=url, data_dir=Path(tmp)).start()
            try:
                base = server.url
                ctx = context()
                login_form_seconds(ctx, base)  # not a first visitor any more
                for _ in range(args.runs):
                    results["visiteur qui revient (cache du navigateur)"].append(
                        login_form_seconds(ctx, base)
                    )
                ctx.close()
                # A new visitor's browser has none of Streamlit's scripts yet: a fresh context
                # each time (before 2026-12-03 this line reused one, hence a warm cache).
                for _ in range(args.runs):
                    ctx = context()
                    results["nouveau visiteur : formulaire de connexion"].append(
                        login_form_seconds(ctx, base)
                    )
                    ctx.close()

                # Applicant: a field of step 1, then « Étape suivante » (and back).
                ctx = context()
                page = ctx.new_page()
                log_in(page, base, applicant.email)
                step1 = f"{base}/step_1_structure?dossier={applicant.application_id}"
                page.goto(step1)
                idle(page)
                for n in range(args.runs):
                    box = page.get_by_label("Commune", exact=True).first
                    box.fill(f"Montreuil {n}")
                    timed(
                        results,
                        "modification d'un champ (jusqu'au calme)",
                        lambda b=box: settle(page, lambda: b.press("Tab")),
                    )
                    link = page.get_by_role("link", name="Étape suivante : Postes")
                    timed(results, "« Étape suivante »", lambda lk=link: settle(page, lk.click))
                    page.goto(step1)
                    idle(page)
                ctx.close()

                # Reviewer: dashboard, listing filter, a dossier by its number.
                ctx = context()
                page = ctx.new_page()
                log_in(page, base, REVIEWER_EMAIL)
                for n in range(args.runs):
                    link = page.get_by_role("link", name="Candidatures", exact=True)
                    with contextlib.suppress(Exception):  # not timed: getting there
                        settle(page, link.first.click)
                    choice = "Oui" if n % 2 == 0 else "Non"
                    page.get_by_label("QPV").first.click()
                    option = page.get_by_role("option", name=choice, exact=True).first
                    timed(
                        results,
                        "filtre de la liste des candidatures",
                        lambda o=option: settle(page, o.click),
                    )
                    link = page.get_by_role("link", name="Dossier", exact=True)
                    with contextlib.suppress(Exception):  # not timed: getting there
                        settle(page, link.first.click)
                    box = page.get_by_label("N° de candidature").first
                    box.fill(str(dossier_id + n))
                    timed(
                        results,
                        "ouverture d'un dossier",
                        lambda b=box: settle(page, lambda: b.press("Enter")),
                    )
                    link = page.get_by_role("link", name="Tableau de bord", exact=True)
                    timed(
                        results,
                        "tableau de bord (instructeur)",
                        lambda lk=link: settle(page, lk.first.click),
                    )
                page.screenshot(path=str(ROOT / "test-artifacts" / "bench-dashboard.png"))
                ctx.close()
            finally:
                server.stop()
            browser.close()
    except Exception as exc:  # print what was measured before the failure
        print(f"Banc interrompu : {type(exc).__name__}: {str(exc).splitlines()[0]}")
    finally:
        with contextlib.suppress(StopIteration):
            next(databases)
    report({label: values for label, values in results.items() if values})
    for label, count in FAILURES.items():
        print(f"mesures en échec (délai de 60 s dépassé) : {label} × {count}")
    print("charge machine à la fin : " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
