"""Application PDF: one PDF/A-2B document per application, byte-identical for the same input.

Its sections and questions come from the questionnaire (core.questionnaire.document); the
layout primitives are core.pdf_layout's, the fonts core.pdf_fonts', the subsidy and verdict
sections core.pdf_verdict's, the metadata core.pdf_metadata's.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from fpdf import FPDF
from fpdf.fonts import SubsetMap

from core import questionnaire
from core.calls import Call
from core.formatting import NOT_ANSWERED, count_fr, format_datetime_fr
from core.models import Application, AttachmentRef, Declaration, Verdict
from core.pdf_fonts import FAMILY, install_fonts, printable
from core.pdf_layout import (
    DRAFT_LABEL,
    GREEN,
    GREY,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_COUNT_ALIAS,
    RED,
    SMALL_PT,
    Cell,
    Document,
    Renderer,
)
from core.pdf_metadata import set_metadata
from core.pdf_verdict import subsidy_section, verdict_section

ACCEPTED = "✓ accepté"
NOT_ACCEPTED = "✗ non accepté"


def pdf_sha256(data: bytes) -> str:
    """Hex SHA-256 of a PDF, the fingerprint a submission stores."""
    return hashlib.sha256(data).hexdigest()


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
    draft = dossier_number is None
    structure_name = application.structure.name or "structure non renseignée"
    running = f"{call.running_title} — {structure_name}"
    if not draft:
        running = f"Dossier n° {dossier_number} — {structure_name}"
    generated_label = f"Document généré le {format_datetime_fr(generated_at)}"

    pdf = Document(
        running_title=printable(running),
        draft=draft,
        generated_label=generated_label,
    )
    install_fonts(pdf)
    pdf.set_margins(MARGIN_X, MARGIN_TOP, MARGIN_X)
    pdf.set_auto_page_break(True, MARGIN_BOTTOM)
    pdf.alias_nb_pages(PAGE_COUNT_ALIAS)
    set_metadata(pdf, application, call, dossier_number, generated_at)
    pdf.add_page()
    r = Renderer(pdf)

    # Title block.
    r.paragraph(call.document_kicker, size=SMALL_PT, colour=GREY)
    r.paragraph(call.title, bold=True, size=14)
    pdf.ln(1)
    if draft:
        _draft_banner(pdf)
    else:
        r.field("Numéro de dossier", dossier_number or NOT_ANSWERED)
        r.field(
            "Date de dépôt",
            format_datetime_fr(submitted_at) if submitted_at else NOT_ANSWERED,
        )

    new_layout = application.declaration.certified or draft
    # Documents filed before the on-screen declaration are re-rendered byte for byte as stored.
    sections = questionnaire.document(application, call, answered_anyway=not new_layout)
    for title, questions in sections:
        if questions and all(q.widget == "checkbox" for q in questions):
            _checklist(r, title, questions, application, call)
            continue
        r.heading(title)
        for q in questions:
            value = questionnaire.value_at(application, q.path)
            # Documents filed before the on-screen declaration are re-rendered byte for byte
            # as stored: their identifiers stay ungrouped.
            text = questionnaire.answer_text(q, call, value, formatted=new_layout)
            if isinstance(value, AttachmentRef):
                # The fingerprint ties this document to the very file stored with the dossier.
                text += f"\nEmpreinte SHA-256 : {value.sha256}"
            r.field(q.label, text)
    number = len(sections) + 1
    if call.amount_per_post is not None:  # calls funding posts: amount per post and tranches
        subsidy_section(r, f"{number}. Subvention", application, verdict, call)
        number += 1
    verdict_section(r, f"{number}. Avis d'éligibilité", verdict, call)
    if new_layout:
        # References and signature start a page together: the signature never sits alone.
        r.ensure_room(REFERENCES_MM + _signature_mm(application.declaration))
    _versions(r, f"{number + 1}. Références", call, generated_at)
    _signature(r, f"{number + 2}. Signature du représentant légal", application.declaration, call)
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


def _checklist(
    r: Renderer, title: str, questions: list, application: Application, call: Call
) -> None:
    """Commitments as a numbered checklist, each with its source and whether it is accepted."""
    pdf = r.pdf
    r.heading(title)
    accepted = sum(1 for q in questions if questionnaire.value_at(application, q.path) is True)
    r.paragraph(
        f"{count_fr(accepted, 'engagement accepté', 'engagements acceptés')} "
        f"sur {len(questions)} "
        f"(engagements de l'appel, version {call.commitments_version}).",
        size=SMALL_PT,
        colour=GREY,
    )
    status_w = 30.0
    for q in questions:
        ok = questionnaire.value_at(application, q.path) is True
        text_w = pdf.epw - status_w
        statement = q.item.text if q.item is not None else q.label
        help_line = questionnaire.help_text(q, call, application)
        r.row(
            [
                Cell(8, f"{q.number}.", colour=GREY),
                Cell(text_w - 8, f"{statement}\n{help_line}" if help_line else statement),
                Cell(
                    status_w,
                    ACCEPTED if ok else NOT_ACCEPTED,
                    bold=True,
                    colour=GREEN if ok else RED,
                    align="R",
                ),
            ]
        )


def _versions(r: Renderer, title: str, call: Call, generated_at: dt.datetime) -> None:
    r.heading(title)
    r.field("Appel", f"{call.short_title} ({call.id})")
    r.field("Version du fichier d'appel", call.version)
    r.field("Version des engagements", call.commitments_version)
    r.field("Document généré le", format_datetime_fr(generated_at))


REFERENCES_MM = 40  # heading and four one-line rows of « Références »


def _signature_mm(declaration: Declaration) -> float:
    return 82 if declaration.certified else 70


def _signature(r: Renderer, title: str, declaration: Declaration, call: Call) -> None:
    pdf = r.pdf
    r.ensure_room(_signature_mm(declaration))
    r.heading(title)
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
