"""Reviewer pages stay closed to anonymous visitors and to applicants, even by URL."""

from __future__ import annotations

import pytest

from tests.e2e import ui
from tests.e2e.server import REPO, StreamlitServer

pytestmark = pytest.mark.e2e

REVIEWER_PAGES = sorted(p.stem for p in (REPO / "pages").glob("reviewer_*.py"))
REVIEWER_PASSWORD = "instructeur-2021"
APPLICANT_PASSWORD = "secretariat-2021"


@pytest.fixture(scope="module")
def server(sqlite_server):
    sqlite_server.add_user(
        email="instructeur@anct.gouv.fr", name="Instructeur ANCT", password=REVIEWER_PASSWORD
    )
    sqlite_server.add_user(
        email="mairie@bondy.fr",
        name="Mairie de Bondy",
        password=APPLICANT_PASSWORD,
        role="applicant",
    )
    return sqlite_server


def _assert_no_reviewer_content(page) -> None:
    """Neither the dashboard nor any application's data is on the page."""
    text = ui.main_text(page)
    assert "Tableau de bord" not in text
    assert "Seine-Saint-Denis" not in text  # no application data leaks either


@pytest.mark.parametrize("path", REVIEWER_PAGES)
def test_anonymous_visitor_sees_no_reviewer_page(page, server, shot, path):
    # The module's server is fresh: the first request is the riskiest one (see below).
    ui.open_page(page, f"{server.url}/{path}?id=1&dossier=1")
    shot(page, f"anonyme-{path}")
    _assert_no_reviewer_content(page)
    text = ui.main_text(page)
    assert (
        "Cette page n'est pas accessible avec votre compte." in text
        or page.get_by_role("button", name="Se connecter").is_visible()
    )


def test_first_request_after_start_goes_through_the_login_gate(page, tmp_path, shot):
    fresh = StreamlitServer(
        database_url=f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}", data_dir=tmp_path
    ).start()
    try:
        ui.open_page(page, f"{fresh.url}/reviewer_dashboard")
        # The run is sent through streamlit_app.py, which reruns into the login page.
        page.get_by_role("button", name="Se connecter").wait_for(timeout=20_000)
        shot(page, "premier-acces")
        sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
        assert "eligibility" not in sidebar.lower()
        assert page.get_by_role("button", name="Se connecter").is_visible()
    finally:
        fresh.stop()


@pytest.mark.parametrize("path", REVIEWER_PAGES)
def test_applicant_cannot_open_reviewer_pages(page, server, shot, path):
    ui.login(page, server.url, "mairie@bondy.fr", APPLICANT_PASSWORD)
    ui.open_page(page, f"{server.url}/{path}?id=1&dossier=1")
    shot(page, f"candidat-{path}")
    _assert_no_reviewer_content(page)
    # Told why, in French (no "Page not found"), still logged in, with the way back home.
    text = ui.main_text(page).replace("\u00a0", " ")
    assert "réservée aux comptes « Instructeur (ANCT) »" in text
    assert "vous êtes connecté avec un compte « Structure candidate »" in text
    assert page.get_by_role("dialog").count() == 0  # no "Page not found" dialog
    ui.click(page, "Retour à l'accueil", role="link")
    assert page.get_by_role("heading", name="Accueil").is_visible()


def test_reviewer_can_open_them(page, server, shot):
    ui.login(page, server.url, "instructeur@anct.gouv.fr", REVIEWER_PASSWORD)
    shot(page, "instructeur")
    assert page.get_by_role("heading", name="Tableau de bord").first.is_visible()


def test_a_bookmarked_step_asks_for_login_then_reopens_it(page, server, shot):
    # An interrupted secretary comes back through her bookmark after the login expired.
    from core import accounts, storage
    from core.db import dispose_engine, get_engine, session_scope
    from core.models import Application, Structure

    engine = get_engine(server.database_url)
    with session_scope(engine) as session:
        owner = accounts.get_user_by_email(session=session, email="mairie@bondy.fr")
        record = storage.create_application(
            session=session,
            user=owner,
            call_id="cnfs-2020-collectivites",
            data=Application(structure=Structure(name="Mairie de Bondy (signet)")),
        )
    dispose_engine(server.database_url)

    ui.open_page(page, f"{server.url}/step_2_postes?dossier={record.id}")
    page.get_by_role("button", name="Se connecter").wait_for()
    shot(page, "signet-connexion")
    assert page.get_by_role("dialog").count() == 0  # no "Page not found" dialog
    page.get_by_label("Adresse électronique").fill("mairie@bondy.fr")
    page.get_by_label("Mot de passe", exact=True).fill(APPLICANT_PASSWORD)
    ui.click(page, "Se connecter")
    page.get_by_role("heading", name="Étape 2 — Postes").wait_for()
    ui.wait_idle(page)
    shot(page, "signet-ouvert")
    assert "Mairie de Bondy (signet)" in ui.main_text(page)
    assert f"dossier={record.id}" in page.url
