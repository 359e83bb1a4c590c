"""Application PDF: one PDF/A-2B document per application, byte-identical for the same input.

Its sections and questions come from the questionnaire (core.questionnaire.document); the
layout primitives are core.pdf_layout's.
"""

from __future__ import annotations

import datetime as dt

import fpdf
from fpdf import FPDF
from fpdf.fonts import SubsetMap

from core import questionnaire
from core.calls import Call
from core.formatting import (
    EFFECT_LABELS_FR,
    NOT_ANSWERED,
    count_fr,
    format_date_fr,
    format_datetime_fr,
    format_eur,
    to_paris,
)
from core.models import STATUS_LABELS_FR, Application, AttachmentRef, Declaration, Status, Verdict
from core.pdf_layout import (
    DRAFT_LABEL,
    FAMILY,
    GREEN,
    GREY,
    INK,
    LABEL_W,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    ORANGE,
    PAGE_COUNT_ALIAS,
    RED,
    REPLACEMENT,
    SMALL_PT,
    Cell,
    Document,
    Renderer,
    install_fonts,
    pdf_sha256,
    printable,
    visual_order,
)

__all__ = [
    "DRAFT_LABEL",
    "REPLACEMENT",
    "pdf_sha256",
    "printable",
    "render_application",
    "visual_order",
]
ACCEPTED = "✓ accepté"
NOT_ACCEPTED = "✗ non accepté"
CREATOR = "Portail de candidature Conseillers numériques France Services"
STATUS_COLOURS = {
    Status.ELIGIBLE: GREEN,
    Status.INELIGIBLE: RED,
    Status.TO_EXAMINE: ORANGE,
    Status.INCOMPLETE: GREY,
}


def _utc(moment: dt.datetime) -> dt.datetime:
    # Naive datetimes are Paris time, like everywhere else in the project.
    return to_paris(moment).astimezone(dt.UTC)


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
    _set_metadata(pdf, application, call, dossier_number, generated_at)
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
        _subsidy(r, f"{number}. Subvention", application, verdict, call)
        number += 1
    _verdict(r, f"{number}. Avis d'éligibilité", verdict, call)
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
                    colour=STATUS_COLOURS[Status.ELIGIBLE] if ok else RED,
                    align="R",
                ),
            ]
        )


def _subsidy(
    r: Renderer, title: str, application: Application, verdict: Verdict, call: Call
) -> None:
    pdf = r.pdf
    r.heading(title)
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
            Cell(w, h, bold=True, size=SMALL_PT, colour=GREY)
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
                Cell(widths[0], f"{percent} %"),
                Cell(widths[1], amount_text),
                Cell(widths[2], f"{months} mois"),
                Cell(widths[3], when or ""),
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


def _verdict(r: Renderer, title: str, verdict: Verdict, call: Call) -> None:
    pdf = r.pdf
    r.heading(title)
    r.row(
        [
            Cell(LABEL_W, "Statut", colour=GREY),
            Cell(
                pdf.epw - LABEL_W,
                STATUS_LABELS_FR[verdict.status],
                bold=True,
                colour=STATUS_COLOURS[verdict.status],
            ),
        ]
    )
    if call.review is not None:  # calls examined on a monthly review day
        review = format_date_fr(verdict.review_date) if verdict.review_date else "Non déterminée"
        r.field("Date d'examen prévue", review)
    for reason in verdict.reasons:
        text = reason.message
        if reason.sources:
            text += "\nSources : " + " ; ".join(reason.sources)
        r.field(EFFECT_LABELS_FR[reason.effect], text)
    if verdict.missing:
        labels = [f"– {questionnaire.label_of(call, m)}" for m in verdict.missing]
        r.field("Informations manquantes", "\n".join(labels))


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
