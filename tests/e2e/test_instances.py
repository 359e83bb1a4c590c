"""Several servers, one database: what one instance saves, the other shows; a SIGKILL in the
middle of editing loses nothing that was saved."""

from __future__ import annotations

import re

import pytest

from tests.e2e import ui
from tests.e2e.server import StreamlitServer

pytestmark = pytest.mark.e2e

PASSWORD = "deux-instances-2021"
REVIEWER = ("instructeur@anct.gouv.fr", "instructeur-2021")


def submit_minimal_application(page, base: str, name: str, siret: str) -> None:
    """Fill every step of a wave-1 application for a commune of the 93, then submit it."""
    ui.create_application(page, base)
    for label, value in [
        ("N° SIRET", siret),
        ("Nom de la structure", name),
        ("Catégorie juridique INSEE", "7210"),
        ("Commune", "Bondy"),
        ("Adresse", "Esplanade Claude Fuzier, 93140 Bondy"),
        ("Nom du contact", "Lou Bernard"),
        ("Fonction du contact", "Directrice générale des services"),
        ("Courriel du contact", "dgs@ville-bondy.fr"),
        ("Téléphone du contact", "01 48 50 53 00"),
    ]:
        ui.fill(page, label, value)
    ui.select(page, "Type de structure", "Commune")
    ui.select(page, "Département", "93 — Seine-Saint-Denis")
    ui.choose_radio(page, "Portage d'une France Services", "Oui")
    ui.choose_radio(page, "Quartier prioritaire de la politique de la ville (QPV)", "Oui")
    ui.click(page, re.compile("^2. Postes"), role="link")
    ui.fill(page, "Nombre de postes demandés", "1")
    ui.choose_radio(page, "Durée du contrat", "36 mois")
    ui.fill_date(page, "Date de démarrage souhaitée", "15/03/2021")
    ui.choose_radio(page, "Complément de rémunération", "Oui")
    ui.fill(page, "Lieux d'activité", "France Services de Bondy")
    ui.choose_radio(page, "Candidat déjà identifié", "Non")
    ui.choose_radio(page, "Consolidation de postes existants", "Non")
    ui.click(page, re.compile("^3. Poste coordinat"), role="link")
    ui.choose_radio(page, "Demande de poste coordinateur", "Non")
    ui.click(page, re.compile("^4. Engagements"), role="link")
    ui.tick_all(page)
    ui.click(page, re.compile("^5. Récapitulatif"), role="link")
    ui.deposit(page)
    page.get_by_role("button", name=re.compile("Télécharger le dossier déposé")).wait_for()


@pytest.mark.postgres
def test_two_instances_share_one_postgres_database(browser, postgres_url, tmp_path, shot, mailbox):
    first = StreamlitServer(database_url=postgres_url, data_dir=tmp_path / "a", mail=mailbox)
    second = StreamlitServer(database_url=postgres_url, data_dir=tmp_path / "b", mail=mailbox)
    # Same cookie key on both, as the Déploiement section of the README asks.
    second.cookie_key = first.cookie_key
    try:
        first.start()
        second.start()
        first.add_user(email=REVIEWER[0], name="Instructeur ANCT", password=REVIEWER[1])
        applicant_ctx = browser.new_context(
            locale="fr-FR", viewport={"width": 1280, "height": 1400}
        )
        applicant_ctx.set_default_timeout(30_000)
        page = applicant_ctx.new_page()
        ui.register(
            page,
            first.url,
            name="Lou Bernard",
            email="dgs@ville-bondy.fr",
            password=PASSWORD,
            confirm_from=mailbox,
        )
        submit_minimal_application(page, first.url, "Ville de Bondy", "21930010000019")
        shot(page, "instance-1-deposee")
        applicant_ctx.close()

        reviewer_ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1400})
        reviewer_ctx.set_default_timeout(30_000)
        page = reviewer_ctx.new_page()
        ui.login(page, second.url, *REVIEWER)
        ui.click(page, "Candidatures", role="link")
        shot(page, "instance-2-candidatures")
        cells = ui.grid_texts(page)
        # The listing's compact view (issue 14) has no SIRET column: the name filed on the
        # first instance, read on the second, is the proof.
        assert "Ville de Bondy" in cells
        reviewer_ctx.close()
    finally:
        first.stop()
        second.stop()


def test_sigkill_while_editing_loses_nothing_saved(browser, tmp_path, shot):
    server = StreamlitServer(
        database_url=f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}", data_dir=tmp_path
    )
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1400})
    ctx.set_default_timeout(30_000)
    try:
        server.start()
        page = ctx.new_page()
        ui.register(
            page, server.url, name="Sam Leroy", email="sam@mairie-pantin.fr", password=PASSWORD
        )
        ui.create_application(page, server.url)
        ui.fill(page, "Nom de la structure", "Commune de Pantin")
        ui.fill(page, "Commune", "Pantin")
        ui.select(page, "Département", "93 — Seine-Saint-Denis")
        # The last answer is typed, the field left (saved), and the server dies at once.
        ui.fill(page, "Adresse", "84-88 avenue du Général Leclerc, 93500 Pantin")
        shot(page, "avant-sigkill")
        server.kill()

        server.start()  # same database, new port
        ctx.clear_cookies()
        page = ctx.new_page()
        ui.login(page, server.url, "sam@mairie-pantin.fr", PASSWORD)
        shot(page, "apres-redemarrage-accueil")
        assert "Commune de Pantin" in ui.main_text(page)
        ui.click(page, "Reprendre")
        page.get_by_role("heading", name=re.compile("Étape 1")).wait_for()
        ui.wait_idle(page)
        shot(page, "apres-redemarrage-etape-1")
        assert ui.field(page, "Nom de la structure").input_value() == "Commune de Pantin"
        assert ui.field(page, "Commune").input_value() == "Pantin"
        assert ui.field(page, "Adresse").input_value() == (
            "84-88 avenue du Général Leclerc, 93500 Pantin"
        )
        department = page.locator('[data-testid="stSelectbox"]').filter(has_text="Département")
        assert "93 — Seine-Saint-Denis" in (
            department.inner_text() + ui.field(page, "Département").input_value()
        )
    finally:
        ctx.close()
        server.stop()
