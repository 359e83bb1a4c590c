"""The prefect consultation loop in a real browser: the prefecture of the 93 gives an opinion on
screen, fills its sheet and sends it back; the ANCT sees the three opinions; a prefecture of
another department sees none of it."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e import ui
from tests.e2e.test_reviewer_journey import select_row

pytestmark = pytest.mark.e2e

PREF93 = ("prefecture93@demo.cnfs.fr", "Prefecture-demo-2021")
ANCT = ("anct@demo.cnfs.fr", "Anct-demo-2021")
PREF13 = ("pref13@bouches-du-rhone.gouv.fr", "Prefecture-13-test!")
NEGATIVE_COMMENT = "Projet redondant avec l'offre de la médiathèque voisine."
FURTHER_COMMENT = "À articuler avec le projet territorial d'Est Ensemble."


def first_visit(page, url: str) -> None:
    """The first visit migrates and seeds the demo database: on a loaded two-core machine
    that can outlast one wait, so wait a second time before calling it a failure."""
    try:
        ui.open_page(page, url)
    except PlaywrightTimeout:
        ui.wait_idle(page, settle_ms=1_000, timeout_ms=90_000)


def logout(page) -> None:
    ui.click(page, "Se déconnecter")
    page.get_by_role("button", name="Se connecter").wait_for()


def fill_sheet(content: bytes) -> bytes:
    """Saint-Denis: positive for its 3 posts; Est Ensemble: further examination, commented."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb["Liste A"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "N° SIRET")
    columns = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(r, 2).value: r for r in range(header + 1, ws.max_row + 1)}
    ws.cell(rows["Commune de Saint-Denis"], columns["Avis positif"]).value = "Oui"
    ws.cell(rows["Commune de Saint-Denis"], columns["Nombre de conseillers numériques"]).value = 3
    ws.cell(rows["Est Ensemble"], columns["Examen complémentaire"]).value = "Oui"
    ws.cell(rows["Est Ensemble"], columns["Commentaire"]).value = FURTHER_COMMENT
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_prefect_consultation_loop(page, demo_server, shot):
    first_visit(page, demo_server.url)
    # The demo prefecture is offered on the login page.
    page.get_by_text(PREF93[0], exact=True).wait_for()
    shot(page, "connexion-demo")
    # Created with the documented command, scoped to the Bouches-du-Rhône.
    demo_server.add_user(
        email=PREF13[0], name="Préfecture des Bouches-du-Rhône", password=PREF13[1],
        role="prefecture", departments="13",
    )  # fmt: skip

    # --- the prefecture of the 93 --------------------------------------------------------
    ui.login(page, demo_server.url, *PREF93)
    page.get_by_role("heading", name="Consultation des préfets").wait_for()
    shot(page, "prefecture-tableau-de-bord")
    board = ui.main_text(page)
    assert re.search(r"Avis à donner\s+3\s", board) and "26 mars 2021" in board

    ui.click(page, "Candidatures", role="link")
    page.get_by_role("heading", name="Candidatures de vos départements").wait_for()
    ui.wait_idle(page)
    shot(page, "prefecture-candidatures")
    grid = " ".join(ui.grid_texts(page))
    for name in ("Commune de Saint-Denis", "Est Ensemble", "CCAS de Bobigny"):
        assert name in grid
    for name in ("Marseille", "Cayenne", "Creuse", "Lyon", "Liens numériques"):
        assert name not in grid  # other departments, and drafts of the 93

    select_row(page, "CCAS de Bobigny")
    ui.click(page, re.compile(r"Ouvrir le dossier CNFS-2021-\d+"))
    page.get_by_role("heading", name="Dossier et avis").wait_for()
    ui.wait_idle(page)
    ui.choose_radio(page, "Votre avis", "Avis négatif")
    ui.field(page, re.compile(r"^Nombre de conseillers numériques soutenus")).fill("0")
    ui.field(page, "Commentaire").fill(NEGATIVE_COMMENT)
    ui.click(page, "Enregistrer l'avis")
    page.get_by_text("Avis enregistré.").wait_for()
    shot(page, "prefecture-avis-negatif")
    assert "Avis négatif" in ui.main_text(page)

    ui.click(page, "Fiche préfet", role="link")
    page.get_by_role("heading", name="Fiche préfet").wait_for()
    ui.wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger la fiche préfet (XLSX)").click()
    sheet = info.value.path().read_bytes()
    filled = shot.folder / "fiche-93-remplie.xlsx"
    filled.write_bytes(fill_sheet(sheet))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(filled))
    page.get_by_text("Aperçu : 2 avis à enregistrer").wait_for()
    ui.wait_idle(page)
    shot(page, "prefecture-apercu-import")
    preview = ui.main_text(page)
    assert "1 inchangé" in preview  # the negative opinion the sheet carried
    ui.click(page, "Confirmer l'import")
    page.get_by_text("Import enregistré : 2 avis mis à jour").wait_for()
    shot(page, "prefecture-import-enregistre")
    logout(page)

    # --- the ANCT reviewer ---------------------------------------------------------------
    ui.login(page, demo_server.url, *ANCT)
    page.get_by_role("heading", name="Avis des préfets").wait_for()
    shot(page, "anct-tableau-de-bord")
    dashboard = ui.main_text(page)
    assert re.search(r"Dossiers avec avis\s+3\s", dashboard)
    cells = ui.grid_texts(page)
    row = cells.index("93 — Seine-Saint-Denis")
    assert cells[row : row + 4] == ["93 — Seine-Saint-Denis", "3", "3", "0"]

    ui.click(page, "Candidatures", role="link")
    ui.select(page, "Avis du préfet", "Sans avis")
    page.keyboard.press("Escape")
    ui.wait_idle(page)
    shot(page, "anct-candidatures-sans-avis")
    grid = " ".join(ui.grid_texts(page))
    assert "Commune de Marseille" in grid
    for name in ("Commune de Saint-Denis", "Est Ensemble", "CCAS de Bobigny"):
        assert name not in grid

    for number, expected in (
        (
            "CNFS-2021-000006",
            ["Avis négatif", NEGATIVE_COMMENT, "à l'écran : Sans avis → Avis négatif"],
        ),
        ("CNFS-2021-000001", ["Avis positif", "fiche « fiche-93-remplie.xlsx »"]),
        ("CNFS-2021-000005", ["Examen complémentaire", FURTHER_COMMENT, "fiche « fiche-93"]),
    ):
        application_id = int(number[-6:])
        ui.open_page(page, f"{demo_server.url}/reviewer_dossier?id={application_id}")
        page.get_by_role("heading", name="Avis de la préfecture").wait_for()
        ui.wait_idle(page)
        text = ui.main_text(page)
        for piece in expected:
            assert piece in text, (number, piece)
        assert "Historique de l'avis" in text
    shot(page, "anct-dossier-avis")
    logout(page)

    # --- a prefecture of another department ------------------------------------------------
    ui.login(page, demo_server.url, *PREF13)
    page.get_by_role("heading", name="Consultation des préfets").wait_for()
    shot(page, "autre-prefecture-tableau-de-bord")
    assert re.search(r"Avis à donner\s+1\s", ui.main_text(page))  # Marseille only
    ui.click(page, "Candidatures", role="link")
    ui.wait_idle(page)
    grid = " ".join(ui.grid_texts(page))
    assert "Commune de Marseille" in grid
    assert "Saint-Denis" not in grid and "Bobigny" not in grid
    ui.open_page(page, f"{demo_server.url}/prefecture_dossier?id=6")
    shot(page, "autre-prefecture-dossier-93")
    text = ui.main_text(page)
    assert "Aucune candidature ne porte le n° 6." in text
    assert "Bobigny" not in text and NEGATIVE_COMMENT not in text
    ui.click(page, "Fiche préfet", role="link")
    ui.wait_idle(page)
    text = ui.main_text(page)
    assert "13 — Bouches-du-Rhône" in text and "Seine-Saint-Denis" not in text


def test_a_file_that_is_not_the_sheet_is_answered_in_full_in_french(page, demo_server, tmp_path):
    """LibreOffice saves as .ods by default: the prefecture reads, whole, how to save as .xlsx
    (a grid cell would cut the message; Streamlit's own refusal would be in English)."""
    first_visit(page, demo_server.url)
    ui.login(page, demo_server.url, *PREF93)
    ui.click(page, "Fiche préfet", role="link")
    page.get_by_role("heading", name="Fiche préfet").wait_for()
    ui.wait_idle(page)
    ods = tmp_path / "fiche-93.ods"
    ods.write_bytes(b"PK\x03\x04 classeur OpenDocument")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(ods))
    page.get_by_text(re.compile("Import impossible")).wait_for()
    ui.wait_idle(page)
    text = ui.main_text(page)
    assert "« fiche-93.ods » n'est pas un classeur XLSX lisible" in text
    assert "Fichier > Enregistrer sous > « Excel 2007-365 » — puis importez-la de nouveau." in text
    logout(page)
