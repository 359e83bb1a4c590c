"""An ANCT reviewer (demo account) filters to Seine-Saint-Denis, opens an application and
downloads the prefect's sheet; the demo server seeds the applications."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.e2e import ui

pytestmark = pytest.mark.e2e


REVIEW_ROW_HEIGHT = 66  # the reviewer listing's taller rows (long names wrap)


def select_row(page, cell_text: str, *, row_height: int = 35) -> None:
    """Tick the row-marker checkbox of the data grid row showing this text."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    # The grid draws on a canvas; its accessible rows give the index (header = row 1).
    row = grid.locator('[role="row"]', has=page.locator('[role="gridcell"]', has_text=cell_text))
    index = int(row.first.get_attribute("aria-rowindex"))
    box = grid.bounding_box()
    header = 35  # Streamlit's default data grid header (and row) height
    page.mouse.click(box["x"] + 14, box["y"] + header + row_height * (index - 2) + row_height / 2)
    ui.wait_idle(page)


def test_reviewer_filters_opens_and_downloads_the_prefect_sheet(page, demo_server, shot):
    ui.open_page(page, demo_server.url)
    shot(page, "connexion-demo")
    assert "anct@demo.cnfs.fr" in ui.main_text(page)  # demo accounts listed on the login page
    ui.login(page, demo_server.url, "anct@demo.cnfs.fr", "Anct-demo-2021")
    shot(page, "tableau-de-bord")

    ui.click(page, "Candidatures", role="link")
    ui.select(page, "Département", "93 — Seine-Saint-Denis")
    page.keyboard.press("Escape")
    ui.wait_idle(page)
    shot(page, "candidatures-93")
    grid_text = " ".join(ui.grid_texts(page))
    assert "Commune de Saint-Denis" in grid_text
    assert "Ville de Lyon" not in grid_text  # other departments are filtered out

    select_row(page, "CNFS-2021-000001", row_height=REVIEW_ROW_HEIGHT)  # one click opens it
    page.get_by_role("heading", name="Dossier de candidature").wait_for()
    ui.wait_idle(page)
    shot(page, "dossier")
    dossier = ui.main_text(page)
    assert "CNFS-2021-000001" in dossier
    assert "Commune de Saint-Denis" in dossier

    ui.click(page, "Fiche préfet", role="link")
    ui.select(page, "Département", "93 — Seine-Saint-Denis")
    shot(page, "fiche-prefet")
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger la fiche préfet (XLSX)").click()
    download = info.value
    content = download.path().read_bytes()
    (shot.folder / download.suggested_filename).write_bytes(content)
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    workbook.close()
    assert "21930066200018" in cells  # Saint-Denis, list A, by SIRET
    assert any("N° SIRET" in c for c in cells)
