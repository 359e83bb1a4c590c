"""PDF layout: fonts embedded once, running header and footer, wrapped rows that paginate.

The wrapping and pagination are hand-written: fpdf2's own table and multi_cell give different
bytes (stored submissions keep their PDF hash) and its line breaker is quadratic.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.enums import DocumentCompliance
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).parent / "data" / "fonts"
FAMILY = "dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Printed in place of a character the font cannot draw, so that nothing vanishes silently.
REPLACEMENT = "\ufffd"
DRAFT_LABEL = "Brouillon — non déposé"

# Layout, in millimetres and points.
MARGIN_X = 18.0
MARGIN_TOP = 16.0
MARGIN_BOTTOM = 18.0
BODY_PT = 9.5
SMALL_PT = 8.0
LINE_H = 4.6
SMALL_LINE_H = 3.9
LABEL_W = 62.0
PAD = 1.4
KEEP_TOGETHER_MM = 45.0

INK = (30, 30, 30)
GREY = (95, 95, 95)
BLUE = (0, 0, 145)  # « bleu France » of the State's graphic charter
RED = (206, 5, 0)
RULE = (205, 205, 215)
GREEN = (24, 117, 60)
ORANGE = (180, 90, 0)


@dataclass(frozen=True)
class Cell:
    """One column of a table row: width, text and how to print it."""

    width: float
    text: str
    bold: bool = False
    size: float = BODY_PT
    colour: tuple[int, int, int] = INK
    align: str = "L"


def pdf_sha256(data: bytes) -> str:
    """Hex SHA-256 of a PDF, the fingerprint a submission stores."""
    return hashlib.sha256(data).hexdigest()


# Tables fpdf2 drops from every subset anyway; removing them once spares each render
# from decoding the OpenType layout tables (the bulk of subsetting time).
_UNUSED_TABLES = ("FFTM", "GDEF", "GPOS", "GSUB", "MATH", "hdmx", "meta", "kern")
# Bold only prints the document's own headings and labels and the call's texts, never an
# applicant's answer: a Latin repertoire is enough and makes each render's subset cheap.
_BOLD_REPERTOIRE = (
    (0x20, 0x7E),
    (0xA0, 0x17F),  # Latin-1, Latin Extended-A
    (0x2000, 0x206F),  # general punctuation: ’ « » – — …
    (0x20A0, 0x20CF),  # currency: €
    (0x2116, 0x2116),  # №
    (0x2713, 0x2717),  # ✓ ✗
    (0xFFFD, 0xFFFD),
)


@functools.cache
def _font_bytes(style: str) -> bytes:
    """The shipped font without the tables fpdf2 never embeds (bold: Latin only)."""
    font = ttLib.TTFont(FONT_DIR / FONT_FILES[style], recalcTimestamp=False)
    for tag in _UNUSED_TABLES:
        if tag in font:
            del font[tag]
    if style == "B":
        options = subset.Options(
            notdef_outline=True, recommended_glyphs=True, glyph_names=True, hinting=True
        )
        options.name_IDs = ["*"]
        options.name_languages = ["*"]
        options.drop_tables += list(_UNUSED_TABLES)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[c for lo, hi in _BOLD_REPERTOIRE for c in range(lo, hi + 1)])
        subsetter.subset(font)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


def _open_font(style: str) -> ttLib.TTFont:
    return ttLib.TTFont(BytesIO(_font_bytes(style)), recalcTimestamp=False, lazy=True)


@functools.cache
def _font_templates() -> tuple[dict[str, TTFFont], dict[str, frozenset[int]]]:
    """Parse the fonts once; each render copies these instead of parsing TrueType again."""
    pdf = FPDF()
    for style in FONT_FILES:
        key = f"{FAMILY}{style}"
        # Built from the reduced bytes so that glyph ids match what each render embeds.
        pdf.fonts[key] = TTFFont(pdf, BytesIO(_font_bytes(style)), key, style)
    fonts = dict(pdf.fonts)
    return fonts, {style: frozenset(fonts[f"{FAMILY}{style}"].cmap) for style in FONT_FILES}


def install_fonts(pdf: FPDF) -> None:
    templates, _ = _font_templates()
    for key, template in templates.items():
        # Widths, cmap and descriptor are read-only once parsed: share them. The subset
        # state is per document, and fpdf2 subsets font.ttfont in place on output.
        font = copy.copy(template)
        font.ttfont = _open_font(template.emphasis.style)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[key] = font


def printable(text: str, *, bold: bool = False) -> str:
    """The text as the PDF prints it: characters the font lacks become a visible "�"."""
    covered = _font_templates()[1]["B" if bold else ""]
    out: list[str] = []
    for char in text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "):
        if ord(char) in covered or char == "\n":
            out.append(char)
        elif unicodedata.category(char) in ("Cc", "Cf") or 0xFE00 <= ord(char) <= 0xFE0F:
            # Invisible controls, joiners and emoji variation selectors carry no glyph.
            continue
        else:
            out.append(REPLACEMENT)
    return "".join(out)


_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def visual_order(line: str) -> str:
    """A line in display order: right-to-left runs (Hebrew, Arabic) reversed, marks kept on
    their letter. Minimal bidi for a left-to-right document; Arabic is not joined."""
    if not _RTL.search(line):
        return line
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if not _is_rtl(line[i]):
            out.append(line[i])
            i += 1
            continue
        # The run goes on through neutrals (spaces, punctuation) up to its last RTL letter.
        end = j = i
        while j < n and (_is_rtl(line[j]) or _is_neutral(line[j])):
            if _is_rtl(line[j]) or unicodedata.bidirectional(line[j]) == "NSM":
                end = j
            j += 1
        clusters: list[str] = []
        for char in line[i : end + 1]:
            if clusters and unicodedata.bidirectional(char) == "NSM":
                clusters[-1] += char
            else:
                clusters.append(char)
        out.extend(reversed(clusters))
        i = end + 1
    return "".join(out)


def _is_rtl(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def _is_neutral(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("WS", "ON", "CS", "NSM", "AN", "BN")


class Document(FPDF):
    """FPDF with the portal's running header and footer."""

    def __init__(self, *, running_title: str, draft: bool, generated_label: str) -> None:
        super().__init__(format="A4", enforce_compliance=DocumentCompliance.PDFA_2B)
        self.running_title = running_title
        self.draft = draft
        self.generated_label = generated_label

    def header(self) -> None:
        self.set_y(8)
        self.set_font(FAMILY, "", SMALL_PT)
        self.set_text_color(*GREY)
        title, room = self.running_title, self.epw * 0.68
        while len(title) > 1 and self.get_string_width(title) > room:
            title = title[:-2].rstrip() + "…"
        self.cell(self.epw * 0.7, 4, visual_order(title))
        if self.draft:
            self.set_font(FAMILY, "B", SMALL_PT)
            self.set_text_color(*RED)
            self.cell(0, 4, DRAFT_LABEL.upper(), align="R")
        self.set_y(self.t_margin)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y() - 1, self.w - self.r_margin, self.get_y() - 1)
        self.set_font(FAMILY, "", SMALL_PT)
        self.set_text_color(*GREY)
        self.cell(self.epw * 0.7, 4, self.generated_label)
        self.cell(0, 4, f"page {self.page_no()} / {PAGE_COUNT_ALIAS}", align="R")


# Replaced by the page count when the document closes. Made of control characters, which
# answers never hold (core.models strips them), so "{nb}" typed by a user prints as typed.
PAGE_COUNT_ALIAS = "\x01\x01"


class Renderer:
    """Lays out the sections; wraps text itself (fpdf2's line breaker is quadratic)."""

    def __init__(self, pdf: Document) -> None:
        self.pdf = pdf

    # -- text primitives -------------------------------------------------------------

    def wrap(
        self, text: str, width: float, *, bold: bool = False, size: float = BODY_PT
    ) -> list[str]:
        """Lines of text that fit in width mm once padded; long words are cut."""
        pdf = self.pdf
        pdf.set_font(FAMILY, "B" if bold else "", size)
        cw = pdf.current_font.cw
        scale = size * 0.001 / pdf.k  # font units to mm, as fpdf2 measures without shaping

        def measure(chunk: str) -> float:
            return sum(cw[ord(char)] for char in chunk) * scale

        room = width - 2 * pdf.c_margin
        space = measure(" ")
        lines: list[str] = []
        for paragraph in printable(text, bold=bold).split("\n"):
            line, line_w = "", 0.0
            # Only ordinary spaces break lines: "50 000 €" keeps its no-break spaces.
            for word in filter(None, paragraph.split(" ")):
                word_w = measure(word)
                if line and line_w + space + word_w <= room:
                    line, line_w = f"{line} {word}", line_w + space + word_w
                    continue
                if line:
                    lines.append(line)
                line, line_w = word, word_w
                while line_w > room:  # a word wider than the column: cut it
                    cut = self._cut(line, room, measure)
                    lines.append(line[:cut])
                    line = line[cut:]
                    line_w = measure(line)
            lines.append(line)
        return lines

    @staticmethod
    def _cut(word: str, room: float, measure) -> int:
        """How many leading characters of word fit in room (at least one)."""
        width = 0.0
        for i, char in enumerate(word):
            width += measure(char)
            if width > room and i:
                return i
        return len(word)

    def ensure_room(self, height: float) -> None:
        """Start a new page unless height mm still fit on this one."""
        pdf = self.pdf
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()

    def row(self, cells: Sequence[Cell], *, rule: bool = True) -> None:
        """A table row; kept on one page when it fits, else split line by line."""
        pdf = self.pdf
        wrapped = [self.wrap(c.text, c.width, bold=c.bold, size=c.size) for c in cells]
        heights = [len(lines) * self._line_h(c) for c, lines in zip(cells, wrapped, strict=True)]
        height = max(heights) + 2 * PAD
        # Short rows stay on one page; long ones start here and flow on (no half-empty page).
        self.ensure_room(height if height <= KEEP_TOGETHER_MM else 2 * PAD + 3 * LINE_H)
        x0 = pdf.l_margin
        y = pdf.get_y() + PAD
        # Print column by column, tracking page breaks for rows longer than a page.
        start_page, start_y = pdf.page, y
        end_page, end_y = start_page, y
        for cell, lines in zip(cells, wrapped, strict=True):
            pdf.page, y = start_page, start_y
            pdf.set_font(FAMILY, "B" if cell.bold else "", cell.size)
            pdf.set_text_color(*cell.colour)
            line_h = self._line_h(cell)
            for line in lines:
                if y + line_h > pdf.page_break_trigger:
                    if pdf.page == len(pdf.pages):
                        pdf.add_page()
                    else:
                        pdf.page += 1
                    y = pdf.t_margin
                pdf.set_xy(x0, y)
                pdf.cell(cell.width, line_h, visual_order(line), align=cell.align)
                y += line_h
            if (pdf.page, y) > (end_page, end_y):
                end_page, end_y = pdf.page, y
            x0 += cell.width
        pdf.page = end_page
        pdf.set_xy(pdf.l_margin, end_y + PAD)
        pdf.set_text_color(*INK)
        if rule:
            pdf.set_draw_color(*RULE)
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())

    @staticmethod
    def _line_h(cell: Cell) -> float:
        return LINE_H * cell.size / BODY_PT

    def field(self, label: str, value: str) -> None:
        """A label / value row."""
        pdf = self.pdf
        self.row([Cell(LABEL_W, label, colour=GREY), Cell(pdf.epw - LABEL_W, value)])

    def paragraph(
        self, text: str, *, bold: bool = False, size: float = BODY_PT, colour=INK
    ) -> None:
        self.row([Cell(self.pdf.epw, text, bold=bold, size=size, colour=colour)], rule=False)

    def heading(self, text: str) -> None:
        """A section title, never alone at the foot of a page."""
        pdf = self.pdf
        self.ensure_room(9 + 3 * LINE_H)
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 11.5)
        pdf.set_text_color(*BLUE)
        pdf.cell(0, 6, printable(text, bold=True), new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*BLUE)
        pdf.set_line_width(0.4)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.set_line_width(0.2)
        pdf.set_text_color(*INK)
        pdf.ln(1)
