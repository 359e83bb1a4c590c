"""Application PDF: one PDF/A-2B document per application, byte-identical for the same input."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import fpdf
from fontTools import subset, ttLib
from fpdf import FPDF
from fpdf.enums import DocumentCompliance
from fpdf.fonts import SubsetMap, TTFFont

from core import reference
from core.calls import Call
from core.fields import field_info
from core.formatting import (
    EFFECT_LABELS_FR,
    ESS_STATUS_LABELS_FR,
    NOT_ANSWERED,
    STRUCTURE_TYPE_LABELS_FR,
    count_fr,
    format_bool_fr,
    format_date_fr,
    format_datetime_fr,
    format_eur,
    to_paris,
)
from core.models import STATUS_LABELS_FR, Application, Declaration, Status, Verdict
from core.rules import asks_ess

FONT_DIR = Path(__file__).parent / "data" / "fonts"
FAMILY = "dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
# Printed in place of a character the font cannot draw, so that nothing vanishes silently.
REPLACEMENT = "\ufffd"
DRAFT_LABEL = "Brouillon — non déposé"
ACCEPTED = "✓ accepté"
NOT_ACCEPTED = "✗ non accepté"
CREATOR = "Portail de candidature Conseillers numériques France Services"

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
STATUS_COLOURS = {
    Status.ELIGIBLE: (24, 117, 60),
    Status.INELIGIBLE: RED,
    Status.TO_EXAMINE: (180, 90, 0),
    Status.INCOMPLETE: GREY,
}


@dataclass(frozen=True)
class _Cell:
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


def _install_fonts(pdf: FPDF) -> None:
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


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _answer(value: object) -> str:
    if value is None or value == "":
        return NOT_ANSWERED
    return str(value)


def _utc(moment: dt.datetime) -> dt.datetime:
    # Naive datetimes are Paris time, like everywhere else in the project.
    return to_paris(moment).astimezone(dt.UTC)


class _Document(FPDF):
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


class _Renderer:
    """Lays out the sections; wraps text itself (fpdf2's line breaker is quadratic)."""

    def __init__(self, pdf: _Document) -> None:
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

    def row(self, cells: Sequence[_Cell], *, rule: bool = True) -> None:
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
    def _line_h(cell: _Cell) -> float:
        return LINE_H * cell.size / BODY_PT

    def field(self, label: str, value: object) -> None:
        """A label / value row of the application."""
        pdf = self.pdf
        self.row(
            [
                _Cell(LABEL_W, label, colour=GREY),
                _Cell(pdf.epw - LABEL_W, _answer(value)),
            ]
        )

    def paragraph(
        self, text: str, *, bold: bool = False, size: float = BODY_PT, colour=INK
    ) -> None:
        self.row([_Cell(self.pdf.epw, text, bold=bold, size=size, colour=colour)], rule=False)

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


def _field_label(path: str, call: Call | None = None) -> str:
    """French label of a field path; a commitment is named by its number and text."""
    if call is not None and path.startswith("commitments."):
        ids = call.commitment_ids()
        cid = path.split(".", 1)[1]
        if cid in ids:
            text = call.commitments[ids.index(cid)].text
            return f"Engagement n° {ids.index(cid) + 1} : {_shorten(text, 70)}"
    return field_info(path).label


def _department(code: str | None) -> str | None:
    found = reference.department(code) if code else None
    return f"{code} — {found.name}" if found else code


def _legal_category(code: str | None) -> str | None:
    found = reference.legal_category(code) if code else None
    return f"{code} — {found.label}" if found else code


def _months(value: int | None) -> str | None:
    return None if value is None else f"{value} mois"


def _programmes(names: Iterable[str]) -> str:
    names = [n for n in names if n]
    return " ; ".join(names) if names else "Aucun"


def render_application(
    application: Application,
    verdict: Verdict,
    call: Call,
    *,
    dossier_number: str | None = None,
    submitted_at: dt.datetime | None = None,
    generated_at: dt.datetime,
) -> bytes:
    """The application, its verdict and its call as PDF/A-2B bytes (same input, same bytes)."""
    s, c, p = application.structure, application.contact, application.posts
    draft = dossier_number is None
    structure_name = s.name or "structure non renseignée"
    running = f"Candidature CNFS — {structure_name}"
    if not draft:
        running = f"Dossier n° {dossier_number} — {structure_name}"
    generated_label = f"Document généré le {format_datetime_fr(generated_at)}"

    pdf = _Document(
        running_title=printable(running),
        draft=draft,
        generated_label=generated_label,
    )
    _install_fonts(pdf)
    pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
    pdf.set_auto_page_break(True, MARGIN_BOTTOM)
    pdf.alias_nb_pages(PAGE_COUNT_ALIAS)
    _set_metadata(pdf, application, call, dossier_number, generated_at)
    pdf.add_page()
    r = _Renderer(pdf)

    # Title block.
    r.paragraph("Dossier de candidature — structure d'accueil", size=SMALL_PT, colour=GREY)
    r.paragraph(call.title, bold=True, size=14)
    pdf.ln(1)
    if draft:
        _draft_banner(pdf)
    else:
        r.field("Numéro de dossier", dossier_number)
        r.field(
            "Date de dépôt",
            format_datetime_fr(submitted_at) if submitted_at else NOT_ANSWERED,
        )

    r.heading("1. Structure")
    r.field(_field_label("structure.name"), s.name)
    r.field(_field_label("structure.siret"), s.siret)
    r.field(
        _field_label("structure.structure_type"),
        STRUCTURE_TYPE_LABELS_FR.get(s.structure_type) if s.structure_type else None,
    )
    r.field(_field_label("structure.legal_category"), _legal_category(s.legal_category))
    r.field(_field_label("structure.department"), _department(s.department))
    r.field(_field_label("structure.commune"), s.commune)
    r.field(_field_label("structure.address"), s.address)
    r.field(_field_label("structure.france_services"), format_bool_fr(s.france_services))
    r.field(_field_label("structure.qpv"), format_bool_fr(s.qpv))
    if s.ess or asks_ess(call, s.structure_type):
        r.field(_field_label("structure.ess"), ESS_STATUS_LABELS_FR.get(s.ess) if s.ess else None)
    r.field(_field_label("structure.priority_programmes"), _programmes(s.priority_programmes))

    r.heading("2. Contact")
    r.field(_field_label("contact.name"), c.name)
    r.field(_field_label("contact.role"), c.role)
    r.field(_field_label("contact.email"), c.email)
    r.field(_field_label("contact.phone"), c.phone)

    r.heading("3. Postes demandés")
    r.field(_field_label("posts.count"), p.count)
    r.field(_field_label("posts.contract_months"), _months(p.contract_months))
    r.field(
        _field_label("posts.start_date"), format_date_fr(p.start_date) if p.start_date else None
    )
    r.field(_field_label("posts.salary_top_up"), format_bool_fr(p.salary_top_up))
    r.field(_field_label("posts.places_of_activity"), p.places_of_activity)
    r.field(_field_label("posts.candidate_identified"), format_bool_fr(p.candidate_identified))
    r.field(
        _field_label("posts.consolidates_existing_posts"),
        format_bool_fr(p.consolidates_existing_posts),
    )
    if p.consolidates_existing_posts or p.consolidation_details:
        r.field(_field_label("posts.consolidation_details"), p.consolidation_details)

    r.heading("4. Conseiller numérique coordinateur")
    r.field(_field_label("posts.coordinator_wanted"), format_bool_fr(p.coordinator_wanted))
    if p.coordinator_wanted or p.coordinator_count or p.coordinator_justification:
        r.field(_field_label("posts.coordinator_count"), p.coordinator_count)
        r.field(_field_label("posts.coordinator_justification"), p.coordinator_justification)
        r.field(_field_label("posts.coordinator_scope"), p.coordinator_scope)

    _commitments(r, application, call)
    _subsidy(r, application, verdict, call)
    _verdict(r, verdict, call)
    _versions(r, call, generated_at)
    _signature(r, application.declaration, call)
    if call.after_submission:
        r.paragraph(
            f"Après le dépôt : {call.after_submission.text} "
            f"Contact : {call.after_submission.contact_email}.",
            size=SMALL_PT,
        )
    data = bytes(pdf.output())
    # fpdf2 memoizes glyph lookups per SubsetMap in a process-wide cache: release this
    # document's fonts, or a long batch keeps every render's font tables alive.
    SubsetMap.get_glyph.cache_clear()
    return data


def _draft_banner(pdf: FPDF) -> None:
    pdf.set_draw_color(*RED)
    pdf.set_text_color(*RED)
    pdf.set_line_width(0.6)
    pdf.set_font(FAMILY, "B", 12)
    pdf.cell(0, 10, DRAFT_LABEL, border=1, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", SMALL_PT)
    pdf.cell(
        0,
        5,
        "Ce document n'a pas de valeur de candidature tant que le dossier n'est pas déposé.",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_line_width(0.2)
    pdf.set_text_color(*INK)


def _commitments(r: _Renderer, application: Application, call: Call) -> None:
    pdf = r.pdf
    r.heading("5. Engagements de la structure")
    accepted = sum(1 for x in call.commitments if application.commitments.get(x.id) is True)
    r.paragraph(
        f"{count_fr(accepted, 'engagement accepté', 'engagements acceptés')} "
        f"sur {len(call.commitments)} "
        f"(engagements de l'appel, version {call.commitments_version}).",
        size=SMALL_PT,
        colour=GREY,
    )
    status_w = 30.0
    for number, commitment in enumerate(call.commitments, start=1):
        ok = application.commitments.get(commitment.id) is True
        text_w = pdf.epw - status_w
        r.row(
            [
                _Cell(8, f"{number}.", colour=GREY),
                _Cell(text_w - 8, f"{commitment.text}\nSource : {commitment.source}"),
                _Cell(
                    status_w,
                    ACCEPTED if ok else NOT_ACCEPTED,
                    bold=True,
                    colour=STATUS_COLOURS[Status.ELIGIBLE] if ok else RED,
                    align="R",
                ),
            ]
        )


def _subsidy(r: _Renderer, application: Application, verdict: Verdict, call: Call) -> None:
    pdf = r.pdf
    r.heading("6. Subvention")
    per_post = call.amount_per_post
    label = "Montant maximal par poste" if per_post.is_ceiling else "Montant par poste"
    r.field(label, f"{format_eur(per_post.value)} sur {per_post.funded_months} mois")
    if per_post.note:
        r.field("Précision", per_post.note)
    unset = _overseas_unset(application, verdict, call)
    if verdict.subsidy_eur is not None:
        total = format_eur(verdict.subsidy_eur)
    elif unset:
        total = f"Non chiffrée : {unset}"
    else:
        total = "Non calculée tant que le nombre de postes n'est pas renseigné"
    r.field("Subvention totale", total)
    if verdict.subsidy_note:
        r.field("Note", verdict.subsidy_note)
    r.field("Source", per_post.source)

    # Tranches: those of the verdict, else the call's schedule without amounts.
    labels = {t.months_after_signature: t.label for t in call.tranches}
    rows = [
        (t.percent, t.amount_eur, t.months_after_signature, labels.get(t.months_after_signature))
        for t in verdict.tranches
    ] or [(t.percent, None, t.months_after_signature, t.label) for t in call.tranches]
    pdf.ln(2)
    widths = (20.0, 48.0, 30.0, pdf.epw - 98.0)
    head = ("Tranche", "Montant", "Mois après signature", "Échéance")
    r.row(
        [
            _Cell(w, h, bold=True, size=SMALL_PT, colour=GREY)
            for w, h in zip(widths, head, strict=True)
        ]
    )
    for percent, amount, months, when in rows:
        if amount is not None and unset:
            amount_text = f"{format_eur(amount)}, hors {unset}"
        elif amount is not None:
            amount_text = format_eur(amount)
        elif unset:
            amount_text = unset
        else:
            amount_text = "—"
        r.row(
            [
                _Cell(widths[0], f"{percent} %"),
                _Cell(widths[1], amount_text),
                _Cell(widths[2], f"{months} mois"),
                _Cell(widths[3], when or ""),
            ]
        )


def _overseas_unset(application: Application, verdict: Verdict, call: Call) -> str | None:
    """The call's wording for an overseas uplift without a rate, when it applies."""
    uplift = call.overseas_uplift
    overseas = "overseas" in verdict.flags or application.structure.department in (
        uplift.departments if uplift else ()
    )
    if uplift and uplift.percent is None and overseas:
        return uplift.label_when_unset
    return None


def _verdict(r: _Renderer, verdict: Verdict, call: Call) -> None:
    pdf = r.pdf
    r.heading("7. Avis d'éligibilité")
    r.row(
        [
            _Cell(LABEL_W, "Statut", colour=GREY),
            _Cell(
                pdf.epw - LABEL_W,
                STATUS_LABELS_FR[verdict.status],
                bold=True,
                colour=STATUS_COLOURS[verdict.status],
            ),
        ]
    )
    review = format_date_fr(verdict.review_date) if verdict.review_date else "Non déterminée"
    r.field("Date d'examen prévue", review)
    for reason in verdict.reasons:
        text = reason.message
        if reason.sources:
            text += "\nSources : " + " ; ".join(reason.sources)
        r.field(EFFECT_LABELS_FR[reason.effect], text)
    if verdict.missing:
        labels = [f"– {_field_label(m, call)}" for m in verdict.missing]
        r.field("Informations manquantes", "\n".join(labels))


def _versions(r: _Renderer, call: Call, generated_at: dt.datetime) -> None:
    r.heading("8. Références")
    r.field("Appel", f"{call.short_title} ({call.id})")
    r.field("Version du fichier d'appel", call.version)
    r.field("Version des engagements", call.commitments_version)
    r.field("Document généré le", format_datetime_fr(generated_at))


def _signature(r: _Renderer, declaration: Declaration, call: Call) -> None:
    pdf = r.pdf
    r.ensure_room(82 if declaration.certified else 70)
    r.heading("9. Signature du représentant légal")
    r.paragraph(call.declaration.text, size=SMALL_PT)
    if declaration.certified:  # given on screen at the deposit
        at = format_datetime_fr(declaration.certified_at) if declaration.certified_at else ""
        r.paragraph(
            f"Certifié en ligne au dépôt par {declaration.signatory_name}, "
            f"{declaration.signatory_role}" + (f", le {at}." if at else "."),
            size=SMALL_PT,
        )
    pdf.ln(2)
    half = pdf.epw / 2 - 3
    top = pdf.get_y()
    pdf.set_draw_color(*GREY)
    for i, label in enumerate(("Nom", "Qualité", "Date")):
        y = top + i * 11
        pdf.set_xy(pdf.l_margin, y)
        pdf.set_font(FAMILY, "", SMALL_PT)
        pdf.set_text_color(*GREY)
        pdf.cell(half, 4, label)
        pdf.line(pdf.l_margin, y + 9, pdf.l_margin + half, y + 9)
    box_x = pdf.l_margin + half + 6
    pdf.rect(box_x, top, half, 42)
    pdf.set_xy(box_x, top + 1)
    pdf.cell(half, 4, "Signature et cachet")
    pdf.set_xy(pdf.l_margin, top + 44)
    pdf.set_text_color(*INK)


def _set_metadata(
    pdf: FPDF,
    application: Application,
    call: Call,
    dossier_number: str | None,
    generated_at: dt.datetime,
) -> None:
    """Info dictionary and matching XMP packet, dated from generated_at only."""
    name = printable(application.structure.name or "Structure non renseignée")
    number = f"dossier n° {dossier_number}" if dossier_number else "brouillon"
    title = f"Candidature CNFS — {name} — {number}"
    subject = printable(call.title)
    created = _utc(generated_at).replace(microsecond=0)
    pdf.set_title(title)
    pdf.set_author(name)
    pdf.set_subject(subject)
    pdf.set_creator(CREATOR)
    pdf.set_producer(f"fpdf2 {fpdf.__version__}")
    pdf.set_keywords(f"{call.id} {call.version}")
    pdf.set_lang("fr-FR")
    pdf.set_creation_date(created)
    # fpdf2's own XMP stamps the wall clock as ModifyDate: write ours, dated like /Info.
    pdf.set_xmp_metadata(_xmp(title, name, subject, f"{call.id} {call.version}", pdf, created))


def _xml(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def _xmp(
    title: str, author: str, subject: str, keywords: str, pdf: FPDF, created: dt.datetime
) -> str:
    stamp = created.isoformat(timespec="seconds").replace("+00:00", "Z")
    producer = getattr(pdf, "producer", None) or ""
    producer_attr = f'\n        pdf:Producer="{_xml(producer)}"' if producer else ""
    return f"""<x:xmpmeta xmlns:x="adobe:ns:meta/">
  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    <rdf:Description rdf:about=""
        xmlns:dc="http://purl.org/dc/elements/1.1/"
        xmlns:xmp="http://ns.adobe.com/xap/1.0/"
        xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
        xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
        xmp:CreatorTool="{_xml(CREATOR)}"
        xmp:CreateDate="{stamp}"
        xmp:ModifyDate="{stamp}"
        xmp:MetadataDate="{stamp}"
        pdf:Keywords="{_xml(keywords)}"{producer_attr}>
      <pdfaid:part>2</pdfaid:part>
      <pdfaid:conformance>B</pdfaid:conformance>
      <dc:format>application/pdf</dc:format>
      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml(title)}</rdf:li></rdf:Alt></dc:title>
      <dc:creator><rdf:Seq><rdf:li>{_xml(author)}</rdf:li></rdf:Seq></dc:creator>
      <dc:description><rdf:Alt>
        <rdf:li xml:lang="x-default">{_xml(subject)}</rdf:li>
      </rdf:Alt></dc:description>
    </rdf:Description>
  </rdf:RDF>
</x:xmpmeta>"""
