"""The applicant's journey in French: what blocks submission, by step; what to do next; help;
why a call or an answer is refused; the calls' dates; the PDF's file name.

Plain Python over the questionnaire and the verdict; pages render what it returns.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from core import questionnaire
from core.calls import Call, get_call, load_calls
from core.clock import PARIS
from core.formatting import format_date_fr, format_eur, format_int
from core.models import Application, Declaration, Effect, Reason, Status, Verdict
from core.questionnaire import Answer
from core.storage import ApplicationRecord

MISSING_ANSWER = "Réponse manquante."
_EFFECT_ORDER = {Effect.INELIGIBLE: 0, Effect.INCOMPLETE: 1, Effect.TO_EXAMINE: 2, Effect.INFO: 3}


class StatusLook(NamedTuple):
    """How every view shows a verdict's status: its colour (a name each view maps to its own
    palette), its icon and what it means for the applicant."""

    color: str
    icon: str
    explanation: str


STATUS_LOOKS = {
    Status.ELIGIBLE: StatusLook(
        "green",
        ":material/check_circle:",
        "Votre candidature est complète et éligible : vous pouvez la déposer.",
    ),
    Status.TO_EXAMINE: StatusLook(
        "orange",
        ":material/search:",
        "Votre candidature est complète ; certains points feront l'objet d'un examen "
        "particulier. Vous pouvez la déposer.",
    ),
    Status.INCOMPLETE: StatusLook(
        "blue",
        ":material/edit_note:",
        "Il reste des réponses à donner ou à corriger avant de pouvoir déposer.",
    ),
    Status.INELIGIBLE: StatusLook(
        "red",
        ":material/block:",
        "En l'état, cette candidature ne peut pas être déposée à cet appel.",
    ),
}


class NextStep(NamedTuple):
    step: int | None  # the step page to open, None when nothing is left to do
    text: str


class Problem(NamedTuple):
    step: int
    label: str
    message: str
    effect: Effect = Effect.INCOMPLETE


def submit_step(call: Call) -> int:
    """The number of the summary step, where the application is submitted."""
    steps = questionnaire.steps(call)
    return next(i for i, s in enumerate(steps, 1) if s.kind == "summary")


def step_heading(call: Call, step: int) -> str:
    """« Étape 2 — Postes »."""
    return f"Étape {step} — {questionnaire.step_title(call, step)}"


def help_text(path: str, call: Call, application: Application) -> str | None:
    """Help shown beside the question at this path, quoting the call's sources."""
    found = questionnaire.question(call, path)
    return questionnaire.help_text(found, call, application) if found else None


def field_reasons(verdict: Verdict, path: str) -> list[Reason]:
    """Reasons to show under the widget of this field (problems first)."""
    found = [r for r in verdict.reasons if r.field == path and r.effect != Effect.INFO]
    return sorted(found, key=lambda r: _EFFECT_ORDER[r.effect])


def problems(verdict: Verdict, call: Call) -> list[Problem]:
    """Everything that blocks submission, by step: missing answers, invalid ones, ineligibility."""
    result: list[Problem] = []
    explained: set[str] = set()
    for reason in verdict.reasons:
        if reason.effect not in (Effect.INELIGIBLE, Effect.INCOMPLETE):
            continue
        path = reason.field
        step = questionnaire.step_of(call, path)
        label = questionnaire.label_of(call, path) if path else "Candidature"
        result.append(Problem(step, label, reason.message, reason.effect))
        if path:
            explained.add(path)
    for path in verdict.missing:
        if path not in explained:
            step = questionnaire.step_of(call, path)
            result.append(Problem(step, questionnaire.label_of(call, path), MISSING_ANSWER))
    return sorted(result, key=lambda p: p.step)


def next_step(record: ApplicationRecord, verdict: Verdict) -> NextStep:
    """What the applicant should do next, in French, and on which step."""
    call = get_call(record.call_id)
    last = submit_step(call)
    if record.submission is not None:
        # The day in Paris: a dossier filed at 00:30 there is dated that day, not the eve.
        submitted_on = format_date_fr(record.submission.submitted_at.astimezone(PARIS).date())
        text = f"Déposée le {submitted_on} (dossier {record.submission.dossier_number})."
        if verdict.review_date:
            text += f" Examen prévu le {format_date_fr(verdict.review_date)}."
        return NextStep(last, text)
    if verdict.status == Status.INELIGIBLE:
        blocking = [r for r in verdict.reasons if r.effect == Effect.INELIGIBLE]
        step = questionnaire.step_of(call, blocking[0].field) if blocking else 1
        title = questionnaire.step_title(call, step)
        return NextStep(step, f"Non éligible : voir les motifs à l'étape {step} — {title}.")
    if verdict.status == Status.INCOMPLETE:
        found = problems(verdict, call)
        step = found[0].step if found else 1
        # The answers of that step only: the others are counted on their own steps.
        count = sum(1 for problem in found if problem.step == step)
        detail = f" ({count} réponse{'s' if count > 1 else ''} à compléter)" if count else ""
        title = questionnaire.step_title(call, step)
        return NextStep(step, f"À compléter : étape {step} — {title}{detail}.")
    title = questionnaire.step_title(call, last)
    return NextStep(last, f"Prête à être déposée : étape {last} — {title}.")


def recap(application: Application, call: Call) -> list[Answer]:
    """Every applicable answer in form order, in French, for the summary and the dossier."""
    return questionnaire.answers(application, call)


def tranche_lines(verdict: Verdict, call: Call) -> list[str]:
    """The payment schedule in French: "20 % — 20 000 € — dans le mois suivant …"."""
    lines = []
    for tranche, rule in zip(verdict.tranches, call.tranches, strict=False):
        amount = format_eur(tranche.amount_eur) if tranche.amount_eur is not None else None
        parts = [f"{tranche.percent} %", amount, rule.label]
        lines.append(" — ".join(part for part in parts if part))
    return lines


def call_not_open_text(call: Call, today: dt.date) -> str:
    """Why no application can be created in this call today."""
    if today < call.opens_on:
        text = f"ouvre le {format_date_fr(call.opens_on)}"
    else:
        text = f"est clos depuis le {format_date_fr(call.closes_on or today)}"
    return (
        f"L'appel « {call.short_title} » {text} : aucune candidature ne peut y "
        "être créée aujourd'hui."
    )


def invalid_answer_text(
    paths: list[str], too_long: dict[str, tuple[int, int]], call_id: str | None
) -> str:
    """Why answers were not saved: too long (limit, typed), or not of a kind the model holds."""
    call = load_calls().get(call_id or "")

    def label(path: str) -> str:
        return questionnaire.label_of(call, path) if call else path

    parts = [
        f"« {label(p)} » accepte au plus {format_int(limit)} caractères (vous en "
        f"avez saisi {format_int(typed)}) : raccourcissez le texte pour qu'il soit enregistré."
        for p, (limit, typed) in too_long.items()
    ]
    others = [p for p in paths if p not in too_long]
    if others:
        labels = ", ".join(f"« {label(p)} »" for p in others)
        parts.append(f"Réponse impossible à enregistrer pour {labels} : saisissez-la à nouveau.")
    return " ".join(parts)


def declaration_problems(declaration: Declaration) -> list[str]:
    """What the deposit's declaration still lacks, in French (empty when it is complete)."""
    problems = []
    if not declaration.signatory_name:
        problems.append("indiquez le nom et le prénom de la personne qui dépose")
    if not declaration.signatory_role:
        problems.append("indiquez sa fonction")
    if not declaration.certified:
        problems.append("cochez la case de certification")
    return problems


def declaration_missing_text(problems: list[str]) -> str:
    return "Avant de déposer : " + " ; ".join(problems) + "."


class CallOverview(NamedTuple):
    call: Call
    is_open: bool
    text: str  # French, e.g. "Ouvert depuis le 17 novembre 2020. Dépôt au fil de l'eau."


def calls_overview(today: dt.date) -> list[CallOverview]:
    """Every call with whether it is open today, in plain French."""
    result = []
    for call in load_calls().values():
        is_open = call.is_open(today)
        if today < call.opens_on:
            text = f"Ouvrira le {format_date_fr(call.opens_on)}."
        elif call.closes_on and today > call.closes_on:
            text = f"Clos depuis le {format_date_fr(call.closes_on)}."
        else:
            text = f"Ouvert depuis le {format_date_fr(call.opens_on)}."
            if call.closes_on:
                text += f" Clôture le {format_date_fr(call.closes_on)}."
            if call.closing_note:
                text += f" {call.closing_note}"
        result.append(CallOverview(call, is_open, text))
    return result


def pdf_filename(record: ApplicationRecord) -> str:
    if record.submission is not None:
        return f"{record.submission.dossier_number}.pdf"
    return f"candidature-{record.id}-brouillon.pdf"
