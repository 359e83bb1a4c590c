"""A mairie registers, fills every step, submits, downloads its PDF; an association in wave 1
is told why it cannot apply. Real browser, real server, fresh SQLite database."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.e2e import ui

pytestmark = pytest.mark.e2e

PASSWORD = "secretariat-2021"
SAINT_DENIS = {
    "N° SIRET": "21930066200018",
    "Nom de la structure": "Commune de Saint-Denis",
    "Catégorie juridique INSEE": "7210",
    "Commune": "Saint-Denis",
    "Adresse": "2 place Victor Hugo, 93200 Saint-Denis",
    "Nom du contact": "Camille Martin",
    "Fonction du contact": "Secrétaire de mairie",
    "Courriel du contact": "secretariat@mairie-saint-denis.fr",
    "Téléphone du contact": "01 49 33 60 00",
}


def fill_step_1(page, answers: dict[str, str], structure_type: str, department: str) -> None:
    for label, value in answers.items():
        ui.fill(page, label, value)
    ui.select(page, "Type de structure", structure_type)
    ui.select(page, "Département", department)


def next_step(page, short: str, title: str | None = None) -> None:
    """Follow the footer link (it names the next step by its short title) to that step."""
    ui.click(page, f"Étape suivante : {short}", role="link")
    page.get_by_role("heading", name=re.compile(title or short)).first.wait_for()
    ui.wait_idle(page)


def test_mairie_applies_from_registration_to_pdf(page, sqlite_server, shot):
    base = sqlite_server.url
    ui.register(
        page,
        base,
        name="Camille Martin",
        email="secretariat@mairie-saint-denis.fr",
        password=PASSWORD,
        confirm_from=sqlite_server.mail,  # a deposit needs a confirmed address
    )
    shot(page, "compte-cree")
    ui.create_application(page, base)
    assert "Incomplet" in ui.panel_status(page)
    shot(page, "etape-1-vide")

    fill_step_1(page, SAINT_DENIS, "Commune", "93 — Seine-Saint-Denis")
    ui.choose_radio(page, "Portage d'une France Services", "Non")
    ui.choose_radio(page, "Quartier prioritaire de la politique de la ville (QPV)", "Oui")
    shot(page, "etape-1-remplie")
    assert "Incomplet" in ui.panel_status(page)  # posts and commitments still to answer

    next_step(page, "Postes")
    ui.fill(page, "Nombre de postes demandés", "2")
    ui.choose_radio(page, "Durée du contrat", "24 mois")
    ui.fill_date(page, "Date de démarrage souhaitée", "01/03/2021")
    ui.choose_radio(page, "Complément de rémunération", "Non")
    ui.fill(page, "Lieux d'activité", "Médiathèque centrale et maison de quartier Franc-Moisin")
    ui.choose_radio(page, "Candidat déjà identifié", "Non")
    ui.choose_radio(page, "Consolidation de postes existants", "Non")
    shot(page, "etape-2")

    next_step(page, "Coordinateur", "Poste coordinateur")
    ui.choose_radio(page, "Demande de poste coordinateur", "Non")
    shot(page, "etape-3")

    next_step(page, "Engagements")
    assert ui.tick_all(page) >= 10
    shot(page, "etape-4")
    assert "Éligible" in ui.panel_status(page)

    next_step(page, "Dépôt", "Récapitulatif")
    shot(page, "etape-5-avant-depot")
    assert "100 000 €" in ui.main_text(page).replace("\u202f", " ").replace("\xa0", " ")
    # Nothing is filed in one click: the person who files names themself and certifies.
    ui.click(page, "Déposer la candidature")
    assert "cochez la case de certification" in ui.main_text(page)
    assert page.get_by_role("button", name=re.compile("Télécharger le dossier déposé")).count() == 0
    shot(page, "etape-5-depot-refuse-sans-certification")
    ui.deposit(page, name="Camille Martin", role="Maire adjointe")
    page.get_by_role("button", name=re.compile("Télécharger le dossier déposé")).wait_for()
    ui.wait_idle(page)
    shot(page, "etape-5-deposee")
    number = re.search(r"Dossier n° (\S+?)\.", ui.main_text(page)).group(1)

    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("Télécharger le dossier déposé")).click()
    pdf = download_info.value
    assert pdf.suggested_filename.endswith(".pdf")
    data = pdf.path().read_bytes()
    (shot.folder / pdf.suggested_filename).write_bytes(data)
    assert data.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert number in text
    assert "Commune de Saint-Denis" in text
    # The acknowledgement, with the same PDF, reached the account (and the contact).
    received = sqlite_server.mail.wait_for("secretariat@mairie-saint-denis.fr", number)
    assert received.attachments() == [(f"{number}.pdf", data)]
    assert "Certifié en ligne au dépôt par Camille Martin, Maire adjointe" in " ".join(text.split())

    # A reload (new websocket session, cookie login) shows the status on Accueil.
    page.reload()
    ui.wait_idle(page, settle_ms=800)
    ui.click(page, "Accueil", role="link")
    shot(page, "accueil-apres-rechargement")
    home = ui.main_text(page)
    assert "Commune de Saint-Denis" in home
    assert "Déposée" in home


def test_association_in_wave_1_is_told_why_not(page, sqlite_server, shot):
    base = sqlite_server.url
    ui.register(
        page, base, name="Dominique Petit", email="contact@asso-lien.org", password=PASSWORD
    )
    ui.create_application(page, base, "CNFS — collectivités (vague 1)")
    ui.fill(page, "Nom de la structure", "Association Le Lien numérique")
    ui.select(page, "Type de structure", "Association")
    shot(page, "association-vague-1")
    panel = ui.panel_status(page)
    assert "Non éligible" in panel
    # Why, what to do instead, and the legal source.
    assert "Les associations ne peuvent pas candidater à cette première vague" in panel
    assert "structures privées (vague 2)" in panel
    assert "AMI collectivités" in panel
    # Nothing to submit: the submit button stays disabled on the summary.
    ui.click(page, re.compile("Récapitulatif"), role="link")
    shot(page, "association-recapitulatif")
    assert page.get_by_role("button", name="Déposer la candidature").is_disabled()
