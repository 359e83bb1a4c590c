"""Exports for reviewers: the filtered list as CSV (French Excel) or XLSX, and the prefect's sheet.

The prefect's sheet follows annex 2 of the circular to prefects: list A (public structures) and
list B (private structures) per department; the prefect fills « Avis positif », « Nombre de
conseillers numériques » and « Examen complémentaire » (already given opinions are carried), then
sends the file back (core.sheet_import reads it, identified by its hidden « Paramètres » sheet).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Sequence

import pandas as pd
import xlsxwriter
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from core.calls import Call, get_call, load_calls
from core.formatting import STRUCTURE_TYPE_LABELS_FR, format_eur, format_int
from core.models import Application, StructureType
from core.reference import department, legal_category, structure_type_classes
from core.review_access import calls_in_view
from core.review_listing import ReviewFilters, list_applications
from core.review_table import LISTING_COLUMNS_FR, listing_headers
from core.storage import User

CSV_SEPARATOR = ";"
# Excel, LibreOffice and Google Sheets run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIST_A_HEADERS = (
    "N° SIRET",
    "Nom",
    "Forme juridique",
    "Portage de France Services",
    "Avis positif",
    "Nombre de conseillers numériques",
    "Examen complémentaire",
)
LIST_B_HEADERS = (
    "N° SIRET",
    "Raison sociale",
    "Forme juridique",
    "Avis positif",
    "Nombre de conseillers numériques",
    "Examen complémentaire",
)
# After the annex's columns: what the prefect needs to answer and the portal to read it back.
SHEET_EXTRA_HEADERS = ("Commentaire", "Postes demandés", "N° de dossier")
SHEET_FORMAT = "fiche-prefet-cnfs"
SHEET_FORMAT_VERSION = "2"
PARAMETERS_SHEET = "Paramètres"
SHEET_INSTRUCTIONS = (
    "Pour chaque structure : « Oui » dans « Avis positif » pour un avis positif, « Non » pour un "
    "avis négatif, ou « Oui » dans « Examen complémentaire ». Nombre de conseillers numériques "
    "soutenus : de 0 aux postes demandés (vide : tous les postes pour un avis positif, 0 sinon). "
    "Commentaire de 10 à 1 000 caractères, obligatoire sauf pour un avis positif. Renvoyez la "
    "fiche par le portail, page « Fiche préfet », sans changer les noms des onglets ni les titres."
)
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")


def defuse(value: str) -> str:
    """Text that a spreadsheet shows as typed instead of evaluating it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _yes_no(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    return "Oui" if value else "Non"


def _french_listing(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """The listing with French headers and Oui/Non instead of booleans."""
    out = frame.copy()
    for column in ("france_services", "qpv"):
        out[column] = out[column].map(_yes_no, na_action=None).astype("string")
    return out[list(LISTING_COLUMNS_FR)].rename(columns=headers)


def french_csv(out: pd.DataFrame) -> bytes:
    """CSV that French Excel opens as is: UTF-8 with BOM, « ; » between fields, no formulas."""
    out = out.copy()
    for column in out.columns:
        if out[column].dtype in ("string", "object"):
            out[column] = out[column].map(
                lambda v: defuse(v) if isinstance(v, str) else v, na_action="ignore"
            )
    return out.to_csv(sep=CSV_SEPARATOR, index=False, lineterminator="\r\n").encode("utf-8-sig")


def listing_csv(frame: pd.DataFrame, headers: dict[str, str] = LISTING_COLUMNS_FR) -> bytes:
    """The listing as French CSV, dates as « 15/01/2021 14:05 »."""
    out = _french_listing(frame, headers)
    for date_column in ("submitted_at", "opinion_at"):
        date_header = headers[date_column]
        out[date_header] = out[date_header].dt.strftime("%d/%m/%Y %H:%M")
    return french_csv(out)


# --- XLSX listing ---------------------------------------------------------------------------
# XlsxWriter in constant_memory mode: each row goes to a temporary file as soon as the next one
# starts, strings inline, so 35,000 rows of 20 columns never sit in memory as cell objects
# (openpyxl builds one per cell: 12 s or more for such a listing on this project's machines).
# Rows must therefore be written in order, top to bottom.

# Control characters (but tab and newlines) and U+FFFE, U+FFFF are dropped from texts, as before:
# XlsxWriter would write the last two as they are (no spreadsheet could open the file) and the
# others as Excel's _x0001_ escapes, which some readers show as typed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LISTING_WIDTHS = {"structure_name": 45, "call": 32, "structure_type": 32, "region": 26}
LISTING_DATE_FORMAT = "dd/mm/yyyy hh:mm"
LISTING_EUR_FORMAT = '#,##0 "€"'


def _listing_cells(series: pd.Series, kind: str) -> list[object]:
    """Values of one column as written: None for an empty cell, str, int or Excel serial."""
    if kind == "date":
        serials = (series - pd.Timestamp(1899, 12, 30)) / pd.Timedelta(days=1)
        return [None if pd.isna(v) else float(v) for v in serials.tolist()]
    values = series.tolist()
    if kind == "text":
        return [None if v is None or v is pd.NA else _NOT_XML.sub("", str(v)) for v in values]
    return [None if v is None or v is pd.NA else int(v) for v in values]


def listing_xlsx(
    frame: pd.DataFrame,
    headers: dict[str, str] = LISTING_COLUMNS_FR,
    *,
    title: str = "Candidatures",
) -> bytes:
    """XLSX of the listing: bold frozen header, filters, dates and euros as numbers; every text
    is written as text (a name typed « =HYPERLINK(…) » stays a name, never a formula or link)."""
    out = _french_listing(frame, headers)
    kinds = {
        headers["submitted_at"]: "date",
        headers["opinion_at"]: "date",
        headers["requested_eur"]: "eur",
    }
    names = list(out.columns)
    widths = {headers[key]: width for key, width in _LISTING_WIDTHS.items()}
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "in_memory": False,  # in_memory would turn constant_memory off
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    formats = {
        "header": workbook.add_format({"bold": True}),
        "date": workbook.add_format({"num_format": LISTING_DATE_FORMAT}),
        "eur": workbook.add_format({"num_format": LISTING_EUR_FORMAT}),
    }
    sheet = workbook.add_worksheet(title[:31])
    sheet.freeze_panes(1, 0)
    for col, header in enumerate(names):
        sheet.set_column(col, col, widths.get(header, 16))
    sheet.autofilter(0, 0, len(out), len(names) - 1)
    for col, header in enumerate(names):
        sheet.write_string(0, col, header, formats["header"])
    # (column, writer, format, values): write_string and write_number, never the guessing write().
    columns = []
    for col, header in enumerate(names):
        series = out[header]
        kind = kinds.get(header) or ("text" if series.dtype == "string" else "int")
        writer = sheet.write_string if kind == "text" else sheet.write_number
        columns.append((col, writer, formats.get(kind), _listing_cells(series, kind)))
    for row in range(1, len(out) + 1):
        for col, writer, cell_format, values in columns:
            value = values[row - 1]
            if value is not None:
                writer(row, col, value, cell_format)
    workbook.close()
    return buffer.getvalue()


def export_listing(
    *, session: Session, user: User, filters: ReviewFilters, fmt: str
) -> tuple[bytes, int]:
    """All rows matching the filters as "csv" or "xlsx"; returns (bytes, row count)."""
    frame = list_applications(session=session, user=user, filters=filters, limit=None)
    headers = listing_headers(calls_in_view(user, filters.call_id))
    content = listing_csv(frame, headers) if fmt == "csv" else listing_xlsx(frame, headers)
    return content, len(frame)


# --- Prefect's sheet (annex 2) --------------------------------------------------------------


def is_public(call: Call, structure_type: StructureType | None, category_code: str | None) -> bool:
    """List A or list B: the call's audience decides, then the type, then the INSEE category."""
    if call.audience != "mixed":
        return call.audience == "public"
    listed = structure_type_classes()[structure_type].prefect_list if structure_type else None
    if listed is not None:
        return listed == "A"
    category = legal_category(category_code) if category_code else None
    return category.public if category is not None else False


def legal_form(structure_type: StructureType | None, category_code: str | None) -> str:
    """The INSEE label of the legal category when known, else the structure type's label."""
    category = legal_category(category_code) if category_code else None
    if category is not None:
        return category.label
    if structure_type is not None:
        return STRUCTURE_TYPE_LABELS_FR[structure_type]
    return ""


@dataclasses.dataclass(frozen=True)
class PrefectLine:
    siret: str
    name: str
    legal_form: str
    france_services: str
    posts: int | None
    dossier_number: str
    application_id: int = 0
    call_id: str = ""
    opinion: str | None = None  # core.opinions.Opinion value in force, if any
    supported_count: int | None = None
    comment: str = ""


@dataclasses.dataclass(frozen=True)
class PrefectSheet:
    department: str
    department_name: str
    list_a: list[PrefectLine]
    list_b: list[PrefectLine]
    agreements: list[str]  # one French line per territorial agreement of the department
    call_id: str | None = None  # None: every call of the department
    call_versions: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def candidates(self) -> int:
        return len(self.list_a) + len(self.list_b)


def prefect_sheet(
    *,
    session: Session,
    user: User,
    department_code: str,
    call_id: str | None = None,
) -> PrefectSheet:
    """The department's submitted applications split into lists A and B (snapshot answers),
    with the opinions already given; a prefecture gets NotFound outside its departments."""
    from core import prefecture

    prefecture.check_department(user, department_code.strip().upper())
    dep = department(department_code)
    if dep is None:
        raise KeyError(f"Département inconnu : {department_code}")
    list_a: list[PrefectLine] = []
    list_b: list[PrefectLine] = []
    calls: dict[str, Call] = {}
    rows = prefecture.sheet_rows(session=session, user=user, department=dep.code, call_id=call_id)
    for row_call_id, data, dossier_number, application_id, opinion in rows:
        call = calls.setdefault(row_call_id, get_call(row_call_id))
        snapshot = Application.model_validate(data)
        s = snapshot.structure
        line = PrefectLine(
            siret=s.siret or "",
            name=s.name or "",
            legal_form=legal_form(s.structure_type, s.legal_category),
            france_services=_yes_no(s.france_services),
            posts=snapshot.posts.count,
            dossier_number=dossier_number,
            application_id=application_id,
            call_id=row_call_id,
            opinion=opinion[0] if opinion else None,
            supported_count=opinion[1] if opinion else None,
            comment=opinion[2] if opinion else "",
        )
        (list_a if is_public(call, s.structure_type, s.legal_category) else list_b).append(line)
    agreements = []
    scope = [get_call(call_id)] if call_id else None
    consulted = [c for c in prefecture.consulted_calls() if user.reads_call(c.id)]
    versions = {c.id: c.version for c in scope or consulted}
    seen: set[str] = set()
    for call in scope or [c for c in load_calls().values() if user.reads_call(c.id)]:
        for agreement in call.territorial_agreements:
            if agreement.department == dep.code and agreement.id not in seen:
                seen.add(agreement.id)
                agreements.append(
                    f"{agreement.title} : jusqu'à {format_int(agreement.max_posts)} conseillers "
                    f"numériques, {format_eur(agreement.max_eur)} au plus"
                )
    return PrefectSheet(
        department=dep.code,
        department_name=dep.name,
        list_a=list_a,
        list_b=list_b,
        agreements=agreements,
        call_id=call_id,
        call_versions=versions,
    )


# The opinion in force as the two Oui/Non columns of the annex (avis positif, examen).
_OPINION_CELLS = {
    "positive": ("Oui", "Non"),
    "negative": ("Non", "Non"),
    "further_examination": ("Non", "Oui"),
}


def _line_values(line: PrefectLine, *, public: bool) -> list[object]:
    """A row of list A or B: the annex's columns (with the opinion in force), then ours."""
    values: list[object] = [line.siret, line.name, line.legal_form]
    if public:
        values.append(line.france_services)
    positive, further = _OPINION_CELLS.get(line.opinion or "", (None, None))
    return [
        *values,
        positive,
        line.supported_count,
        further,
        line.comment or None,
        line.posts,
        line.dossier_number,
    ]


def sheet_headers(*, public: bool) -> list[str]:
    """Column titles of list A (public) or B, as written and as read back."""
    return [*(LIST_A_HEADERS if public else LIST_B_HEADERS), *SHEET_EXTRA_HEADERS]


def prefect_frames(sheet: PrefectSheet) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lists A and B as DataFrames with the sheet's headers, for the screen."""
    return (
        pd.DataFrame(
            [_line_values(x, public=True) for x in sheet.list_a],
            columns=sheet_headers(public=True),
        ),
        pd.DataFrame(
            [_line_values(x, public=False) for x in sheet.list_b],
            columns=sheet_headers(public=False),
        ),
    )


def _write_list(
    wb: Workbook,
    title: str,
    heading: str,
    sheet: PrefectSheet,
    headers: Sequence[str],
    lines: list[PrefectLine],
    *,
    public: bool,
    generated_on: dt.date,
) -> None:
    ws = wb.create_sheet(title)
    ws.append([f"Programme Société Numérique ANCT → Département {sheet.department}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([sheet.department_name])
    ws.append([f"Nombre de structures candidates : {len(lines)}"])
    for line in sheet.agreements:
        ws.append([f"Accord territorial — {line}"])
    ws.append([f"Liste extraite le {generated_on.strftime('%d/%m/%Y')}"])
    ws.append([SHEET_INSTRUCTIONS])
    ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=False)
    ws.append([])
    ws.append([heading])
    ws.cell(ws.max_row, 1).font = Font(bold=True, size=12)
    ws.append(list(headers))
    header_row = ws.max_row
    for col in range(1, len(headers) + 1):
        cell = ws.cell(header_row, col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    text_columns = (1, 2, headers.index("Commentaire") + 1)
    # Row numbers counted here: ws.max_row scans every cell, quadratic over 2,000 rows.
    for row, line in enumerate(lines, start=header_row + 1):
        ws.append(_line_values(line, public=public))
        for col in text_columns:
            # A name typed as "=…" stays text: openpyxl would otherwise store a formula.
            ws.cell(row, col).data_type = "s"
    # The prefect answers Oui/Non in the two opinion columns: offer a drop-down list.
    first, last = header_row + 1, max(ws.max_row, header_row + 1)
    opinion = DataValidation(type="list", formula1='"Oui,Non"', allow_blank=True)
    for header in ("Avis positif", "Examen complémentaire"):
        letter = get_column_letter(list(headers).index(header) + 1)
        opinion.add(f"{letter}{first}:{letter}{last}")
    ws.add_data_validation(opinion)
    ws.freeze_panes = ws.cell(header_row + 1, 1)
    widths = {
        "N° SIRET": 17,
        "Nom": 40,
        "Raison sociale": 40,
        "Forme juridique": 30,
        "Commentaire": 45,
        "N° de dossier": 19,
    }
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(header, 14)
    # Printed on A4, landscape, every column on the width of the page, titles on each page.
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.append([])
    kind = "publique" if public else "privée"
    ws.append([f"➔ Structure {kind} identifiée à solliciter pour la vague suivante"])
    ws.append(["Nom / adresse / contact :"])


def prefect_sheet_xlsx(sheet: PrefectSheet, *, generated_on: dt.date) -> bytes:
    """The prefect's sheet as XLSX: one worksheet per list, as in annex 2."""
    wb = Workbook()
    wb.remove(wb.active)
    _write_list(
        wb,
        "Liste A",
        "Liste A : structures publiques",
        sheet,
        sheet_headers(public=True),
        sheet.list_a,
        public=True,
        generated_on=generated_on,
    )
    _write_list(
        wb,
        "Liste B",
        "Liste B : structures privées",
        sheet,
        sheet_headers(public=False),
        sheet.list_b,
        public=False,
        generated_on=generated_on,
    )
    _write_parameters(wb, sheet, generated_on)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_parameters(wb: Workbook, sheet: PrefectSheet, generated_on: dt.date) -> None:
    """A hidden sheet naming the format, department and call versions, checked on import."""
    ws = wb.create_sheet(PARAMETERS_SHEET)
    ws.append(["format", SHEET_FORMAT])
    ws.append(["format_version", SHEET_FORMAT_VERSION])
    ws.append(["department", sheet.department])
    ws.append(["call_id", sheet.call_id or "*"])
    for call_id, version in sorted(sheet.call_versions.items()):
        ws.append([f"call_version:{call_id}", version])
    ws.append(["generated_on", generated_on.isoformat()])
    ws.sheet_state = "hidden"


def prefect_filename(department_code: str, generated_on: dt.date) -> str:
    return f"fiche-prefet-{department_code}-{generated_on.isoformat()}.xlsx"
