"""PDF page layout: running header and footer, wrapped rows that paginate, headings.

The wrapping and pagination are hand-written: fpdf2's own table and multi_cell give different
bytes (stored submissions keep their PDF hash) and its line breaker is quadratic.
"""

# Kept hand-made (bench/pdf_table.py, 2 CPUs at load 4.4): 178 ms vs 1,086-1,226 ms with fpdf2's
# table() and set_text_shaping(True) (uharfbuzz, from PyPI), 365 ms with table() alone; and the
# line breaks and page breaks differ, so the golden bytes would too.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import DocumentCompliance

from core.pdf_fonts import FAMILY, printable, visual_order

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
COLOURS = {"green": GREEN, "orange": ORANGE, "blue": BLUE, "red": RED}  # by StatusLook.color


@dataclass(frozen=True)
class Cell:
    """One column of a table row: width, text and how to print it."""

    width: float
    text: str
    bold: bool = False
    size: float = BODY_PT
    colour: tuple[int, int, int] = INK
    align: str = "L"


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
