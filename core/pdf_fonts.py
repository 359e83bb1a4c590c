"""PDF fonts and text: DejaVu embedded once per process, characters the font lacks made
visible, right-to-left runs put in display order.
"""

from __future__ import annotations

import copy
import functools
import re
import unicodedata
from io import BytesIO
from pathlib import Path

from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

FONT_DIR = Path(__file__).parent / "data" / "fonts"
FAMILY = "dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Printed in place of a character the font cannot draw, so that nothing vanishes silently.
REPLACEMENT = "\ufffd"


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
        # Widths and cmap are read-only once parsed: share them. The rest is per document:
        # fpdf2 subsets font.ttfont in place on output, and numbers the descriptor and hangs
        # the embedded subset on it (shared, two threads' PDFs got each other's objects).
        font = copy.copy(template)
        font.desc = copy.copy(template.desc)
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
