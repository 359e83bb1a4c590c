"""Issue 11's « Done when », in the browser: a new association applies to the Département 93
AMI (T8, consortium, targets, the EPT letter as a real PDF), submits and downloads its PDF; the
Département's reviewer sees it and downloads the letter and the dossier; ANCT does not see it."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator

import pytest
from fpdf import FPDF
from pypdf import PdfReader

from tests.e2e import ui
from tests.e2e.server import StreamlitServer
from tests.e2e.test_reviewer_journey import REVIEW_ROW_HEIGHT, select_row

pytestmark = pytest.mark.e2e

CD93_TITLE = re.compile("Numérique inclusif")
PASSWORD = "liens-numeriques-2021"
EMAIL = "coordination@liens-numeriques.fr"
DEPARTEMENT = ("instruction@seinesaintdenis.fr", "Instruction-93-2021")
ANCT = ("instruction@anct.gouv.fr", "Instruction-anct-2021")
PORTEUR = {
    "N° SIRET": "20005478100006",
    "Nom de la structure": "Association Les Liens numériques",
    "Commune": "Montreuil",
    "Adresse": "12 rue de Paris, 93100 Montreuil",
    "Nom du contact": "Élodie Lefèvre",
    "Fonction du contact": "Coordinatrice",
    "Courriel du contact": EMAIL,
    "Téléphone du contact": "01 48 70 60 00",
}
TARGETS = {
    "Personnes reçues en diagnostic individuel": "250",
    "Personnes équipées en matériel informatique": "200",
    "Personnes connectées pour au moins 6 mois": "100",
    "Personnes orientées vers une formation ou un accompagnement aux usages numériques": "150",
    "Personnes passant une certification (PIX, CléA numérique…)": "100",
}


def pdf_document(title: str) -> bytes:
    """A real one-page PDF, as a scanner or a word processor makes them."""
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=14)
    doc.multi_cell(0, 10, title)
    return bytes(doc.output())


@pytest.fixture(scope="module")
def cd93_server(tmp_path_factory, mailbox) -> Iterator[StreamlitServer]:
    """A fresh server on a day of the 93 AMI's deposit period (3 May–25 June 2021)."""
    data_dir = tmp_path_factory.mktemp("cnfs-cd93")
    server = StreamlitServer(
        database_url=f"sqlite:///{(data_dir / 'cnfs.sqlite3').as_posix()}",
        data_dir=data_dir,
        mail=mailbox,
        today="2021-06-01",
    )
    server.start()
    server.add_user(
        email=DEPARTEMENT[0],
        name="Agnès Oriol",
        password=DEPARTEMENT[1],
        calls="cd93-2021-numerique-inclusif",
    )
    server.add_user(email=ANCT[0], name="Paul Durand", password=ANCT[1])  # the CNFS calls
    yield server
    server.stop()


def next_step(page, short: str, title: str) -> None:
    ui.click(page, f"Étape suivante : {short}", role="link")
    page.get_by_role("heading", name=re.compile(title)).first.wait_for()
    ui.wait_idle(page)


def pick(page, label: str, options: list[str]) -> None:
    """Choose options of an st.multiselect, then close its list."""
    for option in options:
        ui.select(page, label, option)
        page.keyboard.press("Escape")
        ui.wait_idle(page)


def upload(page, name: str, content: bytes) -> None:
    """Give a file to the first uploader still empty (the pieces come in the form's order),
    as a person choosing it."""
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": content}
    )
    page.get_by_text(f"Fichier joint : {name}").first.wait_for()
    ui.wait_idle(page)


def plain(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def test_association_applies_to_the_93_ami_and_only_the_departement_reads_it(
    page, cd93_server, shot
):
    base = cd93_server.url
    letter = pdf_document("Lettre de soutien de l'EPT Est Ensemble au consortium")
    ui.register(
        page,
        base,
        name="Élodie Lefèvre",
        email=EMAIL,
        password=PASSWORD,
        confirm_from=cd93_server.mail,
    )
    ui.create_application(page, base, CD93_TITLE)
    shot(page, "etape-1-vide")
    for label, value in PORTEUR.items():
        ui.fill(page, label, value)
    ui.select(page, "Type de structure", "Association")
    ui.select(page, "Département du siège", "93 — Seine-Saint-Denis")
    shot(page, "etape-1-remplie")

    next_step(page, "Projet", "Projet et objectifs")
    ui.select(page, "Territoire du projet", "Territoire 8 : Est Ensemble")
    ui.fill(page, "Présentation du projet", "Diagnostic, équipement, connexion et certification.")
    ui.fill_date(page, "Date de démarrage", "01/09/2021")
    pick(page, "Publics en insertion visés", ["Allocataires du RSA"])
    pick(page, "Prescripteurs qui orienteront les personnes", ["PIE"])
    # A target below the AMI's minimum makes the project ineligible, and the panel says why.
    ui.fill(page, "Personnes reçues en diagnostic individuel", "120")
    assert "Non éligible" in ui.panel_status(page)
    shot(page, "etape-2-objectif-trop-bas")
    for label, value in TARGETS.items():
        ui.fill(page, label, value)
    assert "Non éligible" not in ui.panel_status(page)
    shot(page, "etape-2-remplie")

    next_step(page, "Consortium", "Consortium et budget")
    ui.click(page, "Ajouter un partenaire")
    ui.fill(page, "Nom du partenaire (n° 1)", "Ressourcerie de l'Est")
    ui.fill(page, "SIRET (n° 1)", "78467169500087")
    ui.fill(page, "Rôle dans le projet (n° 1)", "Réemploi des ordinateurs")
    ui.fill(page, "Réseau d'acteurs plus large", "EPT Est Ensemble, PLIE, médiathèques")
    ui.fill(page, "Subvention demandée, en euros", "187500")
    ui.fill(page, "Dont coordination du consortium, en euros", "15000")
    ui.choose_radio(page, "Subvention du Département demandée ou reçue en 2020", "Oui")
    shot(page, "etape-3-remplie")

    next_step(page, "Pièces", "Pièces jointes et engagements")
    # The panel counts what this step still needs: 3 files and 5 commitments.
    assert "8 pièces ou engagements à fournir" in ui.panel_status(page)
    upload(page, "lettre-ept.pdf", letter)
    assert "7 pièces ou engagements à fournir" in ui.panel_status(page)
    upload(page, "description.pdf", pdf_document("Description"))
    upload(page, "budget.pdf", pdf_document("Budget prévisionnel"))
    assert ui.tick_all(page) >= 5
    shot(page, "etape-4-remplie")
    assert "Éligible" in ui.panel_status(page)

    next_step(page, "Dépôt", "Récapitulatif")
    shot(page, "etape-5-avant-depot")
    ui.deposit(page, name="Élodie Lefèvre", role="Coordinatrice")
    download_pdf = page.get_by_role("button", name=re.compile("Télécharger le dossier déposé"))
    download_pdf.wait_for()
    ui.wait_idle(page)
    shot(page, "etape-5-deposee")
    number = re.search(r"Dossier n° (\S+?)\.", ui.main_text(page)).group(1)
    assert number.startswith("CD93-2021-")

    data = _download(page, download_pdf)
    text = plain("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))
    assert number in text
    assert "Est Ensemble" in text
    assert hashlib.sha256(letter).hexdigest() in text.replace(" ", "")

    # The Département's reviewer: the dossier is listed, opens, its letter is the same file.
    ui.click(page, "Se déconnecter")
    ui.login(page, base, *DEPARTEMENT)
    ui.click(page, "Candidatures", role="link")
    assert "Association Les Liens numériques" in " ".join(ui.grid_texts(page))
    shot(page, "departement-candidatures")
    select_row(page, number, row_height=REVIEW_ROW_HEIGHT)
    page.get_by_role("heading", name="Dossier de candidature").wait_for()
    ui.wait_idle(page)
    shot(page, "departement-dossier")
    assert number in ui.main_text(page)
    letter_button = page.get_by_role("button", name=re.compile("Télécharger « Lettre de soutien"))
    assert _download(page, letter_button) == letter
    dossier_pdf = page.get_by_role("button", name="Télécharger le PDF du dossier")
    assert _download(page, dossier_pdf).startswith(b"%PDF-")
    dossier_url = page.url

    # ANCT reads only the CNFS calls: neither in its listing nor by the dossier's address.
    ui.click(page, "Se déconnecter")
    ui.login(page, base, *ANCT)
    ui.click(page, "Candidatures", role="link")
    page.get_by_text("0 candidature").first.wait_for()
    assert "Liens numériques" not in ui.main_text(page)
    ui.open_page(page, dossier_url)
    page.get_by_text(re.compile("introuvable|Aucune candidature ne porte")).first.wait_for()
    shot(page, "anct-dossier-par-adresse")
    assert "Liens numériques" not in ui.main_text(page)
    assert number not in ui.main_text(page).replace(f"n° {number}", "")


def _download(page, button) -> bytes:
    """The file one click on this download button gives."""
    with page.expect_download(timeout=30_000) as info:
        button.click()
    return info.value.path().read_bytes()
