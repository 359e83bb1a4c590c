"""The library swap asked for: fpdf2's own table() and text shaping instead of the hand-made
rows, pagination and right-to-left ordering, if the application PDF stays ≤ 150 ms.

Renders the same application (bench/pdf.py's typical one, with Arabic and Hebrew answers)
(a) as production does (core.pdf_layout.Renderer.row/wrap, visual_order), and
(b) with each run of rows of the same columns drawn by FPDF.table() and text shaping on
    (set_text_shaping(True): HarfBuzz through uharfbuzz, fpdf2's own bidi). b1 embeds the
    fonts as fpdf2 does (add_font, full DejaVu with the GSUB/GPOS tables Arabic joining needs);
    b2 keeps the portal's cached fonts (no GSUB/GPOS: only the cost of table() and shaping);
    b3 is table() alone, without shaping (right-to-left text then prints in logical order).
Prints the median over --repeat runs, the page count, whether the same words are printed
(in any order: a row split at a page break reads in another order) and whether the bytes match.

Run: python bench/pdf_table.py [--repeat 30]   (b needs: pip install uharfbuzz)
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fpdf.enums import TableBordersLayout  # noqa: E402
from fpdf.fonts import FontFace  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from core import pdf as application_pdf  # noqa: E402
from core import rules  # noqa: E402
from core.calls import get_call  # noqa: E402
from core.models import Application  # noqa: E402
from core.pdf_fonts import FAMILY, FONT_DIR, FONT_FILES, install_fonts, printable  # noqa: E402
from core.pdf_layout import BODY_PT, INK, LINE_H, PAD, RULE, Cell, Document, Renderer  # noqa: E402
from tests.builders import rich_application  # noqa: E402

CALL = get_call("cnfs-2020-collectivites")
TODAY = dt.date(2021, 1, 20)
RTL_NOTE = (
    "Permanences en arabe et en hébreu : « مركز الوساطة الرقمية في المكتبة » et "
    "« מרכז הגישור הדיגיטלי בספרייה », affichées à l'accueil. "
)


def typical(i: int) -> Application:
    """bench/pdf.py's typical application, with right-to-left text in two answers."""
    return rich_application(
        CALL.id,
        **{
            "structure.name": f"Commune de Saint-Œuf-sur-Marne n° {i}",
            "posts.coordinator_justification": "Douze lieux de médiation à animer en réseau. " * 8,
            "posts.places_of_activity": RTL_NOTE * 2,
        },
    )


def render(i: int) -> bytes:
    app = typical(i)
    return application_pdf.render_application(
        app,
        rules.evaluate(app, CALL, TODAY),
        CALL,
        dossier_number=f"CNFS-2021-{i:05d}",
        submitted_at=dt.datetime(2021, 1, 20, 9, 30, tzinfo=dt.UTC),
        generated_at=dt.datetime(2021, 1, 20, 9, 31, tzinfo=dt.UTC),
    )


class TableDocument(Document):
    """Document whose direct drawing first prints the rows the table renderer holds."""

    renderer: TableRenderer | None = None

    def ln(self, *args, **kwargs):
        if self.renderer is not None:
            self.renderer.flush()
        return super().ln(*args, **kwargs)

    def output(self, *args, **kwargs):
        if self.renderer is not None:
            self.renderer.flush()
        return super().output(*args, **kwargs)


class TableRenderer(Renderer):
    """Renderer.row through FPDF.table(): consecutive rows of the same columns, one table."""

    def __init__(self, pdf: TableDocument) -> None:
        super().__init__(pdf)
        pdf.renderer = self
        self.pending: list[Sequence[Cell]] = []
        self.pending_rule = True
        self.flushing = False

    def row(self, cells: Sequence[Cell], *, rule: bool = True) -> None:
        widths = [c.width for c in cells]
        if self.pending and (
            widths != [c.width for c in self.pending[0]] or rule != self.pending_rule
        ):
            self.flush()
        self.pending.append(cells)
        self.pending_rule = rule

    def flush(self) -> None:
        if not self.pending or self.flushing:
            return
        self.flushing = True
        rows, self.pending = self.pending, []
        pdf = self.pdf
        widths = [c.width for c in rows[0]]
        pdf.set_draw_color(*RULE)
        pdf.set_font(FAMILY, "", BODY_PT)
        with pdf.table(
            width=sum(widths),
            col_widths=widths,
            align="LEFT",
            first_row_as_headings=False,
            borders_layout=(
                TableBordersLayout.HORIZONTAL_LINES
                if self.pending_rule
                else TableBordersLayout.NONE
            ),
            line_height=LINE_H,
            padding=(PAD, pdf.c_margin),
            v_align="TOP",
            text_align="LEFT",
        ) as table:
            for cells in rows:
                row = table.row()
                for c in cells:
                    row.cell(
                        printable(c.text, bold=c.bold),
                        align=c.align,
                        style=FontFace(
                            family=FAMILY,
                            emphasis="B" if c.bold else "",
                            size_pt=c.size,
                            color=c.colour,
                        ),
                    )
        pdf.set_text_color(*INK)
        self.flushing = False

    def ensure_room(self, height: float) -> None:
        self.flush()
        super().ensure_room(height)

    def heading(self, text: str) -> None:
        self.flush()
        super().heading(text)


def fpdf2_fonts(pdf) -> None:
    """Fonts as fpdf2 embeds them: parsed from the shipped files, every table kept."""
    for style, name in FONT_FILES.items():
        pdf.add_font(FAMILY, style, FONT_DIR / name)


def portal_fonts(pdf) -> None:
    """The portal's cached fonts, with a HarfBuzz face each (built from the same bytes)."""
    import uharfbuzz as hb
    from fpdf.fonts import HarfBuzzFont

    from core.pdf_fonts import _font_bytes

    install_fonts(pdf)
    for style in FONT_FILES:
        face = hb.Face(hb.Blob(_font_bytes(style)))
        pdf.fonts[f"{FAMILY}{style}"]._hbfont = HarfBuzzFont(face)


@contextmanager
def with_table(fonts, *, shaping: bool = True):
    def shaped_fonts(pdf) -> None:
        fonts(pdf)
        if shaping:
            pdf.set_text_shaping(True)

    with (
        mock.patch.object(application_pdf, "Document", TableDocument),
        mock.patch.object(application_pdf, "Renderer", TableRenderer),
        mock.patch.object(application_pdf, "install_fonts", shaped_fonts),
    ):
        yield


def median_ms(repeat: int) -> tuple[float, bytes]:
    first = render(0)  # fonts parsed, caches warm
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        render(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, first


def words(data: bytes) -> tuple[int, list[str]]:
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), re.findall(r"\w+", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()

    ms, hand = median_ms(args.repeat)
    pages, hand_words = words(hand)
    print(
        f"(a)  hand-made rows and visual_order (production)  : {ms:7.1f} ms median, {pages} pages"
    )
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        print("(b) needs uharfbuzz (pip install uharfbuzz): not measured")
        return
    variants = (
        ("b1", "table() + text shaping, add_font, full DejaVu", fpdf2_fonts, True),
        ("b2", "table() + text shaping, portal's cached fonts", portal_fonts, True),
        ("b3", "table() alone, no shaping (RTL unordered)   ", install_fonts, False),
    )
    for name, what, fonts, shaping in variants:
        with with_table(fonts, shaping=shaping):
            ms, data = median_ms(args.repeat)
        pages, table_words = words(data)
        print(
            f"({name}) {what}: {ms:7.1f} ms median, {pages} pages, "
            f"same words as (a): {sorted(table_words) == sorted(hand_words)}, "
            f"same bytes: {data == hand}"
        )
    print(f"n={args.repeat} each, target ≤ 150 ms")


if __name__ == "__main__":
    main()
