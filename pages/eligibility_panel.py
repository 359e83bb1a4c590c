"""The live eligibility panel shown beside every step: status, reasons with their sources, and
what is left to answer, step by step, with a link to each step."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from core import presentation, questionnaire
from core.calls import Call
from core.formatting import count_fr, format_eur
from core.models import STATUS_LABELS_FR, Effect, Reason, Status, Verdict
from core.presentation import STATUS_LOOKS
from pages.components import escape_md
from pages.step_nav import NEXT_ICON, step_link


def sources_text(sources: Sequence[str]) -> str:
    return "Source : " + " ; ".join(sources) if sources else ""


def reason_box(reason: Reason) -> None:
    """One reason, coloured by what it does, with its sources."""
    body = escape_md(reason.message)
    if reason.sources:
        body += "  \n*" + escape_md(sources_text(reason.sources)) + "*"
    if reason.effect in (Effect.INELIGIBLE, Effect.INCOMPLETE):
        st.error(body, icon=":material/error:")
    elif reason.effect == Effect.TO_EXAMINE:
        st.warning(body, icon=":material/search:")
    else:
        st.info(body, icon=":material/info:")


def _small(text: str) -> str:
    """Text drawn as st.caption draws it, inside a markdown element."""
    return f":small[:gray[{escape_md(text)}]]"


def status_badge(status: Status) -> None:
    look = STATUS_LOOKS[status]
    st.badge(STATUS_LABELS_FR[status], icon=look.icon, color=look.color)


def _badge(status: Status) -> str:
    """The badge st.badge draws, as a paragraph of a markdown element (labels have no [ ])."""
    look = STATUS_LOOKS[status]
    return f":{look.color}-badge[{look.icon} {STATUS_LABELS_FR[status]}]"


def eligibility_panel(
    application_id: int,
    verdict: Verdict,
    call: Call,
    *,
    submitted: bool = False,
    current_step: int | None = None,
) -> None:
    """Status, reasons with sources, what is missing with a link to the step that asks it."""
    st.subheader("Éligibilité", anchor=False)
    # Paragraphs of one markdown element: each element is a message to the browser per rerun.
    paragraphs = [
        _badge(verdict.status),
        _small("Verdict établi au dépôt du dossier.")
        if submitted
        else escape_md(STATUS_LOOKS[verdict.status].explanation),
    ]
    if verdict.subsidy_eur is not None:
        paragraphs.append(f"Subvention estimée : **{escape_md(format_eur(verdict.subsidy_eur))}**")
        if verdict.subsidy_note:
            paragraphs.append(_small(verdict.subsidy_note))
    st.markdown("\n\n".join(paragraphs))
    for reason in verdict.reasons:
        if reason.effect == Effect.INELIGIBLE:
            reason_box(reason)
    _to_complete(application_id, verdict, call, linked=not submitted, current_step=current_step)
    for reason in verdict.reasons:
        if reason.effect == Effect.TO_EXAMINE:
            reason_box(reason)
    infos = [r for r in verdict.reasons if r.effect == Effect.INFO]
    if infos:
        bodies = []
        for reason in infos:
            body = escape_md(reason.message)
            if reason.sources:
                body += "  \n" + _small(sources_text(reason.sources))
            bodies.append(body)
        with st.expander("Pour information"):
            st.markdown("\n\n".join(bodies))


def _to_complete(
    application_id: int, verdict: Verdict, call: Call, *, linked: bool, current_step: int | None
) -> None:
    by_step: dict[int, list[str]] = {}
    for problem in presentation.problems(verdict, call):
        if problem.effect == Effect.INELIGIBLE:
            continue  # already shown above, with its sources
        by_step.setdefault(problem.step, []).append(problem.label)
    if not by_step:
        return
    st.markdown("**À compléter ou corriger**")
    for step, labels in sorted(by_step.items()):
        pending = questionnaire.questionnaire_for(call).step(step).pending
        if pending:
            summary = count_fr(len(labels), pending.singular, pending.plural)
        else:
            summary = ", ".join(dict.fromkeys(labels))
        st.markdown(escape_md(f"{presentation.step_heading(call, step)} : {summary}."))
        if linked and step != current_step:
            step_link(step, application_id, label=f"Aller à l'étape {step}", icon=NEXT_ICON)
