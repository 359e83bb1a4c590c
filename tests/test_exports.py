"""Exports read back: CSV with the csv module, XLSX and the prefect's sheet with openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from core import exports
from core.calls import get_call
from core.exports import LIST_A_HEADERS, LIST_B_HEADERS, export_listing, prefect_sheet
from core.models import StructureType
from core.review_listing import ReviewFilters
from core.review_table import LISTING_COLUMNS_FR
from tests.builders import WAVE1, WAVE2
from tests.review_data import TODAY, make_application, populate

HEADERS = list(LISTING_COLUMNS_FR.values())


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(session, applicant):
    return populate(session, applicant)


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8, not Windows-1252
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


def test_csv_opens_cleanly_in_french_excel(session, reviewer, apps):
    content, count = export_listing(
        session=session, user=reviewer, filters=ReviewFilters(statuses=("submitted",)), fmt="csv"
    )
    rows = _csv_rows(content)
    assert count == len(rows) == 4
    assert list(rows[0]) == HEADERS
    assert b"\r\n" in content
    by_name = {r["Nom de la structure"]: r for r in rows}
    row = by_name["Commune de Saint-Étienne"]
    assert row["Région"] == "Auvergne-Rhône-Alpes"
    assert row["France Services"] == "Oui"
    assert row["QPV"] == "Non"
    assert row["Date de dépôt"].startswith("10/02/2021 ")
    assert row["SIRET"].isdigit() and len(row["SIRET"]) == 14
    assert sum(int(r["Montant demandé (€)"]) for r in rows) == 10 * 50_000
    assert sum(int(r["Postes demandés"]) for r in rows) == 10


def test_csv_of_a_draft_leaves_submission_fields_empty(session, reviewer, apps):
    content, _ = export_listing(
        session=session, user=reviewer, filters=ReviewFilters(statuses=("draft",)), fmt="csv"
    )
    (row,) = _csv_rows(content)
    assert row["N° de dossier"] == ""
    assert row["Date de dépôt"] == ""
    assert row["État"] == "Brouillon"


def test_csv_and_xlsx_keep_formulas_inert(session, reviewer, applicant):
    make_application(session, applicant, 9, **{"structure.name": '=HYPERLINK("http://x","y")'})
    filters = ReviewFilters()
    content, _ = export_listing(session=session, user=reviewer, filters=filters, fmt="csv")
    (row,) = _csv_rows(content)
    assert row["Nom de la structure"] == '\'=HYPERLINK("http://x","y")'
    content, _ = export_listing(session=session, user=reviewer, filters=filters, fmt="xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    name_col = HEADERS.index("Nom de la structure") + 1
    cell = ws.cell(2, name_col)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x","y")'


HOSTILE_NAMES = (
    '=HYPERLINK("http://x","y")',
    "@SUM(A1:A9)",
    "+33 1 23 45 67 89",
    "-2+3",
    "https://exemple.fr/inscription",
)


def test_xlsx_writes_hostile_names_as_text_and_figures_as_numbers(session, reviewer, applicant):
    for n, name in enumerate(HOSTILE_NAMES, start=20):
        make_application(session, applicant, n, **{"structure.name": name})
    content, count = export_listing(
        session=session, user=reviewer, filters=ReviewFilters(), fmt="xlsx"
    )
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    assert count == len(HOSTILE_NAMES) == ws.max_row - 1
    name_col = HEADERS.index("Nom de la structure") + 1
    cells = [ws.cell(row, name_col) for row in range(2, ws.max_row + 1)]
    # Read back as typed: text, never a formula, a link or a number.
    assert sorted(c.value for c in cells) == sorted(HOSTILE_NAMES)
    assert {c.data_type for c in cells} == {"s"}
    assert all(c.hyperlink is None for c in cells)
    for header in ("N° de candidature", "Postes demandés", "Montant demandé (€)"):
        column = [ws.cell(row, HEADERS.index(header) + 1) for row in range(2, ws.max_row + 1)]
        assert {c.data_type for c in column} == {"n"}, header
        assert all(isinstance(c.value, int) for c in column), header
    eur = ws.cell(2, HEADERS.index("Montant demandé (€)") + 1)
    assert eur.value > 0 and eur.number_format == '#,##0 "€"'


def test_xlsx_listing_reads_back(session, reviewer, apps):
    content, count = export_listing(
        session=session, user=reviewer, filters=ReviewFilters(), fmt="xlsx"
    )
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb.active
    assert ws.title == "Candidatures"
    assert [c.value for c in ws[1]] == HEADERS
    assert ws["A1"].font.b
    assert ws.freeze_panes == "A2"
    assert ws.max_row == count + 1 == 6
    rows = [dict(zip(HEADERS, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    names = {r["Nom de la structure"] for r in rows}
    assert "Commune de Saint-Étienne" in names
    submitted = [r for r in rows if r["État"] == "Déposée"]
    assert sum(r["Montant demandé (€)"] for r in submitted) == 10 * 50_000
    assert all(isinstance(r["Date de dépôt"], dt.datetime) for r in submitted)
    assert {r["Date de dépôt"].date() for r in submitted} == {TODAY}
    draft = next(r for r in rows if r["État"] == "Brouillon")
    assert draft["Date de dépôt"] is None and draft["N° de dossier"] is None
    date_col = HEADERS.index("Date de dépôt") + 1
    assert ws.cell(2, date_col).number_format == "dd/mm/yyyy hh:mm"


def test_empty_exports_have_headers_only(session, reviewer):
    content, count = export_listing(
        session=session, user=reviewer, filters=ReviewFilters(), fmt="xlsx"
    )
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    assert count == 0
    assert [c.value for c in ws[1]] == HEADERS
    content, _ = export_listing(session=session, user=reviewer, filters=ReviewFilters(), fmt="csv")
    assert _csv_rows(content) == []


# --- prefect's sheet ------------------------------------------------------------------------


def _table(ws, headers):
    """Rows under the header row of a list, until the first blank line."""
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == headers[0])
    assert tuple(c.value for c in ws[start][: len(headers)]) == tuple(headers)
    rows = []
    for values in ws.iter_rows(min_row=start + 1, max_col=len(headers), values_only=True):
        if all(v is None for v in values):
            break
        rows.append(dict(zip(headers, values, strict=True)))
    return rows


def _texts(ws) -> list[str]:
    return [str(ws.cell(r, 1).value) for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value]


def test_prefect_sheet_for_seine_saint_denis(session, reviewer, apps):
    sheet = prefect_sheet(session=session, user=reviewer, department_code="93")
    assert sheet.candidates == 3  # submitted only: the draft is not sent to the prefect
    wb = openpyxl.load_workbook(io.BytesIO(exports.prefect_sheet_xlsx(sheet, generated_on=TODAY)))
    assert wb.sheetnames == ["Liste A", "Liste B", "Paramètres"]
    assert wb["Paramètres"].sheet_state == "hidden"  # identifies the sheet on import
    list_a, list_b = wb["Liste A"], wb["Liste B"]
    header = _texts(list_a)
    assert header[0] == "Programme Société Numérique ANCT → Département 93"
    # Each list counts its own structures (2 public, 1 private), not the total.
    assert "Nombre de structures candidates : 2" in header
    assert "Nombre de structures candidates : 1" in _texts(list_b)
    agreement = next(t for t in header if t.startswith("Accord territorial"))
    assert "80 conseillers" in agreement and "4\u202f000\u202f000" in agreement

    rows_a = _table(list_a, exports.sheet_headers(public=True))
    assert [r["Nom"] for r in rows_a] == ["CCAS de Bobigny", "Commune de Montreuil"]
    ccas = rows_a[0]
    assert ccas["Forme juridique"] == "Centre communal d'action sociale"
    assert ccas["Portage de France Services"] == "Non"
    # The prefect fills the count it supports; the posts requested are beside it.
    assert ccas["Nombre de conseillers numériques"] is None
    assert ccas["Postes demandés"] == 4
    assert ccas["N° de dossier"].startswith("CNFS-2021-")
    assert ccas["Avis positif"] is None and ccas["Examen complémentaire"] is None

    (association,) = _table(list_b, exports.sheet_headers(public=False))
    assert association["Raison sociale"] == "Association Les Liens numériques"
    assert association["Forme juridique"] == "Association déclarée"
    assert association["Avis positif"] is None
    assert "Portage de France Services" not in association
    assert any("Structure privée identifiée" in t for t in _texts(list_b))


def test_prefect_sheet_prints_on_a4_landscape_fit_to_width(session, reviewer, apps):
    sheet = prefect_sheet(session=session, user=reviewer, department_code="93")
    wb = openpyxl.load_workbook(io.BytesIO(exports.prefect_sheet_xlsx(sheet, generated_on=TODAY)))
    for ws in (wb["Liste A"], wb["Liste B"]):
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4 in ECMA-376
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        assert ws.print_title_rows  # the column titles repeat on every printed page


def test_prefect_sheet_of_a_department_without_agreement(session, reviewer, apps):
    sheet = prefect_sheet(session=session, user=reviewer, department_code="42")
    assert sheet.agreements == []
    wb = openpyxl.load_workbook(io.BytesIO(exports.prefect_sheet_xlsx(sheet, generated_on=TODAY)))
    (row,) = _table(wb["Liste A"], LIST_A_HEADERS)
    assert row["Nom"] == "Commune de Saint-Étienne"
    assert row["Portage de France Services"] == "Oui"
    assert _table(wb["Liste B"], LIST_B_HEADERS) == []
    assert not any(t.startswith("Accord territorial") for t in _texts(wb["Liste A"]))


def test_prefect_sheet_for_one_call_and_unknown_department(session, reviewer, apps):
    sheet = prefect_sheet(session=session, user=reviewer, department_code="93", call_id=WAVE2)
    assert (len(sheet.list_a), len(sheet.list_b)) == (0, 1)
    with pytest.raises(KeyError):
        prefect_sheet(session=session, user=reviewer, department_code="99")


@pytest.mark.parametrize(
    ("call_id", "structure_type", "category", "public"),
    [
        (WAVE1, StructureType.COMMUNE, "7210", True),
        (WAVE1, StructureType.OTHER, None, True),  # the call's audience decides
        (WAVE2, StructureType.ASSOCIATION, "9220", False),
        (WAVE2, StructureType.OTHER, "7210", False),
    ],
)
def test_list_a_or_b(call_id, structure_type, category, public):
    assert exports.is_public(get_call(call_id), structure_type, category) is public


def test_mixed_call_uses_type_then_category():
    mixed = get_call(WAVE1).model_copy(update={"audience": "mixed"})
    assert exports.is_public(mixed, StructureType.ASSOCIATION, None) is False
    assert exports.is_public(mixed, StructureType.CCAS, None) is True
    assert exports.is_public(mixed, StructureType.OTHER, "7210") is True
    assert exports.is_public(mixed, StructureType.OTHER, "9220") is False


@pytest.mark.parametrize(
    ("structure_type", "category", "expected"),
    [
        (StructureType.COMMUNE, "7210", "Commune et commune nouvelle"),  # INSEE label
        (StructureType.COMMUNE, "0000", "Commune"),  # unknown code: the type's label
        (StructureType.ASSOCIATION, None, "Association"),
        (None, None, ""),
    ],
)
def test_legal_form(structure_type, category, expected):
    assert exports.legal_form(structure_type, category) == expected


def test_control_characters_typed_in_answers_cannot_break_the_prefect_sheet(
    session, applicant, reviewer
):
    # A vertical tab pasted from a word processor used to make openpyxl refuse the whole sheet.
    make_application(session, applicant, 7, **{"structure.name": "Mairie\x0b de Bondy\x00"})
    sheet = prefect_sheet(session=session, user=reviewer, department_code="93")
    wb = openpyxl.load_workbook(io.BytesIO(exports.prefect_sheet_xlsx(sheet, generated_on=TODAY)))
    assert [r["Nom"] for r in _table(wb["Liste A"], LIST_A_HEADERS)] == ["Mairie de Bondy"]
