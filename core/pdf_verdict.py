"""The application PDF's verdict sections: the subsidy with its tranches, and the
eligibility opinion (status, reasons with their sources, missing answers).
"""

from __future__ import annotations

from core import questionnaire
from core.calls import Call
from core.formatting import EFFECT_LABELS_FR, format_date_fr, format_eur
from core.models import STATUS_LABELS_FR, Application, Status, Verdict
from core.pdf_layout import COLOURS, GREY, LABEL_W, SMALL_PT, Cell, Renderer
from core.presentation import STATUS_LOOKS


def status_colour(status: Status) -> tuple[int, int, int]:
    """The status's colour, the one the screens show (core.presentation.STATUS_LOOKS)."""
    return COLOURS[STATUS_LOOKS[status].color]


def subsidy_section(
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


def verdict_section(r: Renderer, title: str, verdict: Verdict, call: Call) -> None:
    pdf = r.pdf
    r.heading(title)
    r.row(
        [
            Cell(LABEL_W, "Statut", colour=GREY),
            Cell(
                pdf.epw - LABEL_W,
                STATUS_LABELS_FR[verdict.status],
                bold=True,
                colour=status_colour(verdict.status),
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
