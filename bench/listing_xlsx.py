"""XLSX listing of 35,000 rows: XlsxWriter (core.exports.listing_xlsx) against the hand-written
SpreadsheetML writer it replaced, for time, peak memory and file size.

python bench/listing_xlsx.py [--rows 35000] [--repeat 5] [--seed] [--check]

The listing frame is built in memory with the real listing's columns and dtypes (as
core.review_listing.list_applications returns them), from the reference departments, calls and
labels; with --seed it is read instead from a temporary SQLite database seeded by core.scale_seed.
Each writer runs in its own process (peak RSS is per process): `repeat` timed runs (median,
best, and the median CPU time of the process, which a busy machine inflates least), ru_maxrss
growth over the loaded frame, then one run under tracemalloc for the peak of Python and numpy
allocations. --check reads both workbooks back with openpyxl and compares
every cell. Budget: ≤ 10 s for 35,000 rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import pickle
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/pages.py would shadow the pages package

import pandas as pd  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from core import exports  # noqa: E402
from core.calls import load_calls  # noqa: E402
from core.formatting import STRUCTURE_TYPE_LABELS_FR  # noqa: E402
from core.opinions import NO_OPINION_FR, OPINION_LABELS_FR  # noqa: E402
from core.reference import departments  # noqa: E402
from core.review_table import LISTING_COLUMNS_FR  # noqa: E402

BUDGET_S = 10.0

# --- The hand-written writer, as it was in core/exports.py up to commit c84dfb4 -------------
# Kept verbatim (renamed, with its module's imports) so that the comparison stays honest after
# core.exports moved to XlsxWriter.
_french_listing = exports._french_listing
# --- Streaming XLSX writer for long listings ------------------------------------------------
# openpyxl builds an XML element per cell: about 20 µs each, 12 s or more for 35,000 rows of
# 17 columns on this project's machines. A listing needs no more than text, integers, dates
# and two number formats, so its sheet is written here as plain SpreadsheetML (ECMA-376), with
# inline strings; tests read the result back with openpyxl.

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_STYLE_HEADER, _STYLE_DATE, _STYLE_EUR = 1, 2, 3
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_PKG = "http://schemas.openxmlformats.org/package/2006/"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    f'{_XML_DECL}<Types xmlns="{_PKG}content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SML}styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML_DECL}<Relationships xmlns="{_PKG}relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_XML_DECL}<Relationships xmlns="{_PKG}relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    f"{_XML_DECL}"
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="dd/mm/yyyy hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="#,##0 &quot;€&quot;"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _xml_text(value: str) -> str:
    return xml_escape(_XML_ILLEGAL.sub("", value))


def _workbook_xml(sheet_title: str) -> str:
    return (
        f"{_XML_DECL}"
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{_REL}">'
        f'<sheets><sheet name="{xml_escape(sheet_title, {chr(34): "&quot;"})}" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>'
    )


def _column_cells(series: pd.Series, letter: str, kind: str) -> list[str]:
    """The <c> elements of one column, row 2 onwards ("" for an empty cell)."""
    cells: list[str] = []
    for row, value in enumerate(series.tolist(), start=2):
        if value is None or value is pd.NA or value is pd.NaT:
            cells.append("")
        elif kind == "date":
            serial = (value.to_pydatetime() - _EXCEL_EPOCH) / dt.timedelta(days=1)
            cells.append(f'<c r="{letter}{row}" s="{_STYLE_DATE}"><v>{serial!r}</v></c>')
        elif kind == "eur":
            cells.append(f'<c r="{letter}{row}" s="{_STYLE_EUR}"><v>{int(value)}</v></c>')
        elif kind == "int":
            cells.append(f'<c r="{letter}{row}"><v>{int(value)}</v></c>')
        else:
            cells.append(
                f'<c r="{letter}{row}" t="inlineStr"><is><t xml:space="preserve">'
                f"{_xml_text(str(value))}</t></is></c>"
            )
    return cells


def handwritten_listing_xlsx(frame: pd.DataFrame, *, title: str = "Candidatures") -> bytes:
    """XLSX of the listing: bold frozen header, filters, dates and euros as numbers."""
    out = _french_listing(frame, LISTING_COLUMNS_FR)
    headers = list(out.columns)
    kinds = {
        LISTING_COLUMNS_FR["submitted_at"]: "date",
        LISTING_COLUMNS_FR["opinion_at"]: "date",
        LISTING_COLUMNS_FR["requested_eur"]: "eur",
    }
    letters = [get_column_letter(i) for i in range(1, len(headers) + 1)]
    columns = []
    for header, letter in zip(headers, letters, strict=True):
        series = out[header]
        kind = kinds.get(header) or ("text" if series.dtype == "string" else "int")
        columns.append(_column_cells(series, letter, kind))
    widths = {"Nom de la structure": 45, "Appel": 32, "Type de structure": 32, "Région": 26}
    last = f"{letters[-1]}{len(out) + 1}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _workbook_xml(title[:31]))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w") as sheet:
            head = (
                f"{_XML_DECL}"
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<dimension ref="A1:{last}"/>'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                "<cols>"
                + "".join(
                    f'<col min="{i}" max="{i}" width="{widths.get(h, 16)}" customWidth="1"/>'
                    for i, h in enumerate(headers, start=1)
                )
                + "</cols><sheetData>"
                + '<row r="1">'
                + "".join(
                    f'<c r="{letter}1" t="inlineStr" s="{_STYLE_HEADER}"><is><t>'
                    f"{_xml_text(h)}</t></is></c>"
                    for letter, h in zip(letters, headers, strict=True)
                )
                + "</row>"
            )
            sheet.write(head.encode("utf-8"))
            chunk: list[str] = []
            for row, cells in enumerate(zip(*columns, strict=True), start=2):
                chunk.append(f'<row r="{row}">{"".join(cells)}</row>')
                if len(chunk) == 2_000:
                    sheet.write("".join(chunk).encode("utf-8"))
                    chunk = []
            sheet.write("".join(chunk).encode("utf-8"))
            sheet.write(f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>'.encode())
    return buffer.getvalue()


# --- The frame ------------------------------------------------------------------------------

PLACES = (
    "Saint-Étienne", "Montreuil", "Bobigny", "Pontoise", "Rennes", "Quimper", "Lyon",
    "Villeurbanne", "Marseille", "Aix-en-Provence", "Lille", "Roubaix", "Bordeaux", "Pau",
    "Fort-de-France", "Saint-Denis", "Ajaccio", "Bastia", "Nancy", "Metz",
)  # fmt: skip
PATTERNS = (
    "Commune de {place}",
    "CCAS de {place}",
    "Communauté de communes du pays de {place}",
    "Association Numérique pour tous — {place}",
    "Coopérative solidaire de {place}",
)
VERDICTS = ("Éligible", "À examiner", "Non éligible")


def synthetic_listing(rows: int, seed: int = 2021) -> pd.DataFrame:
    """`rows` submitted applications with the listing's columns and dtypes, built in memory."""
    rng = random.Random(seed)
    deps = departments()
    titles = [c.short_title for c in load_calls().values()]
    types = list(STRUCTURE_TYPE_LABELS_FR.values())
    opinions = [*OPINION_LABELS_FR.values(), NO_OPINION_FR]
    start = dt.datetime(2021, 1, 4, 8, 0)
    records = []
    for i in range(rows):
        dep = rng.choice(deps)
        posts = rng.randint(1, 8)
        opinion = rng.choice(opinions)
        given = opinion != NO_OPINION_FR
        submitted = start + dt.timedelta(seconds=rng.randint(0, 90 * 86_400))
        records.append(
            {
                "id": i + 1,
                "dossier_number": f"CNFS-2021-{i + 1:06d}",
                "submitted_at": submitted,
                "call": rng.choice(titles),
                "siret": f"{rng.randint(10**13, 10**14 - 1)}",
                "structure_name": rng.choice(PATTERNS).format(place=rng.choice(PLACES)),
                "structure_type": rng.choice(types),
                "department": dep.code,
                "department_name": dep.name,
                "region": dep.region,
                "status": "Déposée",
                "verdict": rng.choice(VERDICTS),
                "posts_count": posts,
                "coordinator_count": rng.randint(0, 1),
                "france_services": rng.random() < 0.3,
                "qpv": rng.random() < 0.2,
                "requested_eur": posts * 50_000,
                "opinion": opinion,
                "supported_count": rng.randint(0, posts) if given else None,
                "opinion_at": submitted + dt.timedelta(days=30) if given else None,
            }
        )
    raw = pd.DataFrame.from_records(records)
    frame = pd.DataFrame(
        {
            "id": raw["id"].astype("int64"),
            "dossier_number": raw["dossier_number"].astype("string"),
            "submitted_at": pd.to_datetime(raw["submitted_at"]),
            **{
                c: raw[c].astype("string")
                for c in (
                    "call",
                    "siret",
                    "structure_name",
                    "structure_type",
                    "department",
                    "department_name",
                    "region",
                    "status",
                    "verdict",
                )
            },  # fmt: skip
            "posts_count": raw["posts_count"].astype("Int64"),
            "coordinator_count": raw["coordinator_count"].astype("Int64"),
            "france_services": raw["france_services"].astype("boolean"),
            "qpv": raw["qpv"].astype("boolean"),
            "requested_eur": raw["requested_eur"].astype("Int64"),
            "opinion": raw["opinion"].astype("string"),
            "supported_count": raw["supported_count"].astype("Int64"),
            "opinion_at": pd.to_datetime(raw["opinion_at"]),
        }
    )
    assert list(frame.columns) == list(LISTING_COLUMNS_FR)
    return frame


def seeded_listing(rows: int) -> pd.DataFrame:
    """The real listing of `rows` submitted applications seeded in a temporary SQLite base."""
    from core import review_listing
    from core.db import get_engine, session_scope
    from core.scale_seed import seed_scale
    from core.storage import Role, User

    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(f"sqlite:///{Path(tmp) / 'scale.sqlite3'}")
        seed_scale(engine, count=rows)
        reviewer = User(
            id=0,
            email="bench@anct.gouv.fr",
            name="Banc d'essai",
            role=Role.REVIEWER,
            calls=tuple(load_calls()),
        )
        with session_scope(engine) as s:
            started, started_cpu = time.perf_counter(), time.process_time()
            frame = review_listing.list_applications(
                session=s, user=reviewer, filters=review_listing.ReviewFilters(), limit=None
            )
            print(
                f"list_applications (la requête de l'export) : "
                f"{time.perf_counter() - started:.2f} s, "
                f"CPU {time.process_time() - started_cpu:.2f} s"
            )
        engine.dispose()
    return frame


# --- Measuring, one writer per process -------------------------------------------------------

WRITERS = {"main": handwritten_listing_xlsx, "xlsxwriter": exports.listing_xlsx}
LABELS = {"main": "écrit à la main (avant)", "xlsxwriter": "XlsxWriter constant_memory"}


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(writer: str, frame_path: Path, repeat: int, out_path: Path | None) -> None:
    frame = pd.read_pickle(frame_path)  # noqa: S301 - our own file
    fn = WRITERS[writer]
    base = _maxrss_mib()
    times, cpu, content = [], [], b""
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        content = fn(frame)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    rss_growth = _maxrss_mib() - base
    tracemalloc.start()
    fn(frame)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if out_path is not None:
        out_path.write_bytes(content)
    print(
        json.dumps(
            {
                "times": times,
                "cpu": cpu,
                "rss_growth_mib": rss_growth,
                "traced_peak_mib": traced_peak / 2**20,
                "bytes": len(content),
            }
        )
    )


def compare(old: bytes, new: bytes) -> int:
    """Cells that differ between the two workbooks, as openpyxl reads them (values, types)."""
    import openpyxl

    def rows(content: bytes):
        wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        ws = wb.active
        return ws.title, ws.iter_rows(values_only=True)

    (old_title, old_rows), (new_title, new_rows) = rows(old), rows(new)
    assert old_title == new_title, (old_title, new_title)
    differences = 0
    for a, b in zip(old_rows, new_rows, strict=True):
        for x, y in zip(a, b, strict=True):
            same = x == y and type(x) is type(y)
            if isinstance(x, dt.datetime) and isinstance(y, dt.datetime):
                same = abs(x - y) < dt.timedelta(milliseconds=1)
            differences += not same
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=35_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", action="store_true", help="listing read from a seeded base")
    parser.add_argument("--check", action="store_true", help="compare both workbooks' cells")
    parser.add_argument("--child", choices=sorted(WRITERS), help=argparse.SUPPRESS)
    parser.add_argument("--frame", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.frame, args.repeat, args.out)
        return 0
    started = time.perf_counter()
    frame = seeded_listing(args.rows) if args.seed else synthetic_listing(args.rows)
    source = "base SQLite remplie (core.scale_seed)" if args.seed else "construit en mémoire"
    print(f"Listing de {len(frame)} lignes, {source}, en {time.perf_counter() - started:.1f} s")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        frame_path = Path(tmp) / "frame.pkl"
        frame.to_pickle(frame_path, protocol=pickle.HIGHEST_PROTOCOL)
        for name in WRITERS:
            out = Path(tmp) / f"{name}.xlsx"
            command = [sys.executable, __file__, "--child", name, "--frame", str(frame_path)]
            command += ["--repeat", str(args.repeat), "--out", str(out)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
            r = results[name]
            verdict = "OK" if statistics.median(r["times"]) <= BUDGET_S else "DÉPASSÉ"
            print(
                f"{LABELS[name]:<28} médiane {statistics.median(r['times']):6.2f} s, "
                f"meilleur {min(r['times']):6.2f} s ({args.repeat} essais, budget "
                f"{BUDGET_S:g} s : {verdict}), CPU médiane {statistics.median(r['cpu']):6.2f} s ; "
                f"mémoire : pic tracemalloc "
                f"{r['traced_peak_mib']:6.1f} Mio, maxrss +{r['rss_growth_mib']:6.1f} Mio ; "
                f"fichier {r['bytes'] / 1e6:.2f} Mo"
            )
        if args.check:
            differences = compare(
                (Path(tmp) / "main.xlsx").read_bytes(), (Path(tmp) / "xlsxwriter.xlsx").read_bytes()
            )
            print(f"Cellules différentes (openpyxl, valeur et type) : {differences}")
            if differences:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
