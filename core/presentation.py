"""The applicant's journey in French: what blocks submission, by step; what to do next; help.

Plain Python over the questionnaire and the verdict; pages render what it returns.
"""

from __future__ import annotations

from typing import NamedTuple

from core import questionnaire
from core.calls import Call, get_call
from core.formatting import format_date_fr, format_eur
from core.models import Application, Effect, Reason, Status, Verdict
from core.questionnaire import Answer
from core.storage import ApplicationRecord

MISSING_ANSWER = "Réponse manquante."
_EFFECT_ORDER = {Effect.INELIGIBLE: 0, Effect.INCOMPLETE: 1, Effect.TO_EXAMINE: 2, Effect.INFO: 3}


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
        submitted_on = format_date_fr(record.submission.submitted_at.date())
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
