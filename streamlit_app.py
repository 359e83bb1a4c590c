"""Entry point: page setup, settings, login gate, then the pages each role may open."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent import futures
from contextlib import asynccontextmanager

import streamlit as st

from core import questionnaire, server_sockets
from core.calls import CallFileError, load_calls
from core.settings import Settings, SettingsError
from core.storage import Role, User
from pages import components, mail_components
from pages.step_nav import STEP_PAGES, dossier_call_id

# Pages by role: (file, title, icon). Add a page to a role by adding a line here;
# the first page of each list is the one shown after login.
ACCOUNT = ("pages/account.py", "Mon compte", ":material/person:")
REVIEW = [
    ("pages/reviewer_dashboard.py", "Tableau de bord", ":material/dashboard:"),
    ("pages/reviewer_table.py", "Candidatures", ":material/table_view:"),
    ("pages/reviewer_dossier.py", "Dossier", ":material/folder_open:"),
    ("pages/reviewer_prefect.py", "Fiche préfet", ":material/assignment:"),
]
# Opened by links in e-mails, logged in or not: in no menu, known to every role.
MAIL_LINKS = [
    ("pages/confirm_email.py", "Confirmation de l'adresse", ":material/mark_email_read:"),
    ("pages/password_reset.py", "Mot de passe oublié", ":material/key:"),
]
URL_PATHS = {
    "pages/confirm_email.py": "confirmer-adresse",
    "pages/password_reset.py": "mot-de-passe-oublie",
}
DEMO_OUTBOX = ("pages/demo_outbox.py", "Courriels (démonstration)", ":material/mail:")
PREFECTURE = [
    ("pages/prefecture_dashboard.py", "Tableau de bord", ":material/dashboard:"),
    ("pages/prefecture_table.py", "Candidatures", ":material/table_view:"),
    ("pages/prefecture_dossier.py", "Dossier et avis", ":material/rate_review:"),
    ("pages/prefecture_sheet.py", "Fiche préfet", ":material/assignment:"),
]
PAGES: dict[Role | None, list[tuple[str, str, str]]] = {
    None: [
        ("pages/login.py", "Connexion", ":material/login:"),
        ("pages/register.py", "Créer un compte", ":material/person_add:"),
    ],
    Role.APPLICANT: [],  # Accueil, the steps of the questionnaire, the account: applicant_pages()
    Role.REVIEWER: [*REVIEW, ACCOUNT],
    Role.ADMIN: [*REVIEW, ACCOUNT],
    Role.PREFECTURE: [*PREFECTURE, ACCOUNT],
}


HOME = ("pages/applicant_home.py", "Accueil", ":material/home:")


def applicant_pages(call_id: str | None = None) -> list[tuple[str, str, str]]:
    """Accueil, one page per step of the open dossier's call (titles and icons from its
    questionnaire; the first call's when no dossier is open), the account."""
    calls = load_calls()
    call = calls.get(call_id or "") or next(iter(calls.values()))
    steps = [
        (STEP_PAGES[number], f"{number}. {step.title}", step.icon)
        for number, step in enumerate(questionnaire.steps(call), 1)
    ]
    return [HOME, *steps, ACCOUNT]


PREFECT_SHEET = "pages/reviewer_prefect.py"


@st.cache_resource(show_spinner=False)
def tune_server_sockets() -> int:
    """Once per process: a rerun's messages leave at once, not 40 ms later (core.server_sockets)."""
    return server_sockets.set_nodelay_on_server_sockets()


def offered(path: str, user: User | None) -> bool:
    """Whether the menu shows this page of the role to this account: a reviewer of calls that
    never go to the prefects (the Département's) has no prefect sheet to open."""
    return path != PREFECT_SHEET or (user is not None and user.reads_a_consulted_call())


_PAGES_KEY = "_cnfs_pages"


def session_pages(entries: list[tuple[str, str, str]], visible: int) -> list[st.Page]:
    """The st.Page objects of these entries, built once per tab while they stay the same
    (building them resolves every file path: a few milliseconds on each run otherwise)."""
    key = (tuple(entries), visible)
    cached = st.session_state.get(_PAGES_KEY)
    if cached is not None and cached[0] == key:
        return cached[1]
    pages = [
        st.Page(
            path,
            title=title,
            icon=icon,
            default=(n == 0),
            visibility="visible" if n < visible else "hidden",
            url_path=URL_PATHS.get(path),
        )
        for n, (path, title, icon) in enumerate(entries)
    ]
    st.session_state[_PAGES_KEY] = (key, pages)
    return pages


def main() -> None:
    st.set_page_config(page_title="Conseillers numériques — candidatures", layout="wide")
    tune_server_sockets()
    components.french_ui()
    try:
        settings: Settings = components.load_settings()
    except SettingsError as exc:
        st.error(f"Le portail ne peut pas démarrer. {exc}")
        st.stop()
    try:
        questionnaire.check_all()
    except CallFileError as exc:
        st.error(f"Le portail ne peut pas démarrer : un fichier d'appel est à corriger. {exc}")
        st.stop()
    calls = load_calls().values()
    too_long = [c.id for c in calls if len(questionnaire.steps(c)) > len(STEP_PAGES)]
    if too_long:
        st.error(
            "Le portail ne peut pas démarrer : le questionnaire de l'appel "
            f"{', '.join(too_long)} compte plus de {len(STEP_PAGES)} étapes."
        )
        st.stop()
    components.prepare_with(
        lambda: components.start_preparation(settings.database_url, settings.demo_mode),
        components.start_preparation.clear,
    )
    # Fixed slots ahead of the page for what comes and goes (the cookie component, the
    # database spinner, a message): Streamlit keeps a run's elements until the next run ends,
    # so a page shifted by one slot would show twice meanwhile (two login forms after logout).
    gate, message = st.container(), st.container()
    with gate:
        user = components.resolve_user(settings)
    role = user.role if user else None
    # The menu names the steps of the dossier being worked on: each call has its own.
    PAGES[Role.APPLICANT] = applicant_pages(
        dossier_call_id(user) if role == Role.APPLICANT else None
    )
    visible = [e for e in PAGES[role] if offered(e[0], user)]
    visible += [DEMO_OUTBOX] if settings.demo_mode else []
    entries = visible + MAIL_LINKS
    # Every page is known to every visitor (no English "Page not found"), hidden from the menu
    # of those it is not for: logged out, it asks for the login and reopens afterwards; with
    # another role's account, it says why it is not shown (components.require_user).
    shown = {path for path, _, _ in entries}
    hidden = {e[0]: e for r, es in PAGES.items() if r is not None for e in es}
    entries += [e for path, e in hidden.items() if path not in shown]
    pages = session_pages(entries, len(visible))
    current = st.navigation(pages)
    components.mark_app_run(entries[pages.index(current)][0], entries[0][0])
    if settings.demo_mode:
        st.sidebar.caption("Mode démonstration : données fictives.")
    components.logout_button(settings)
    with message:
        components.show_flash()
    try:
        current.run()
    finally:
        # Started once the page is out, so a new visitor's login form does not wait for it.
        ready = components.start_preparation(settings.database_url, settings.demo_mode)
        if ready.done() and ready.exception() is None:
            mail_components.start_retry_loop(settings)  # once the database is migrated


PREPARATION_AT_START_S = 60.0  # then the server serves anyway; the pages wait (components.db)


def warm_up_at_start() -> None:
    """What every first run would otherwise load (imports, call files, fonts, Streamlit's
    own modules), then the database's preparation (migrations, demo data), waited for.

    A failure only costs speed here: the pages show it (settings, call files) or wait for
    the database and try again (components.db), as when no warm-up ran.
    """
    from core import warmup

    log = logging.getLogger(__name__)
    try:
        warmup.warm_caches()
        components.warm_streamlit()
        settings = components.load_settings()
        ready = components.start_preparation(settings.database_url, settings.demo_mode)
    except Exception:
        log.exception("Préchauffage au démarrage interrompu")
        return
    done, _ = futures.wait([ready], timeout=PREPARATION_AT_START_S)
    if not done:
        log.warning("Base de données pas encore prête : le serveur accueille déjà les visiteurs")
    elif ready.exception() is not None:
        log.error("Préparation de la base impossible au démarrage : %s", ready.exception())


@asynccontextmanager
async def warm_before_serving(_app: object) -> AsyncIterator[None]:
    """Run by the server before it accepts its first visitor (st.App's lifespan)."""
    await asyncio.to_thread(warm_up_at_start)
    yield


if __name__ == "__main__":  # a run of this script, in a visitor's session
    main()
else:  # imported once by `streamlit run`, which finds this st.App and serves it
    # The first visitor after a start would otherwise pay for the first imports and find the
    # warm-up thread competing with their login form (issue 15).
    app = st.App(__file__, lifespan=warm_before_serving)
