"""The generic step page: the questions of one step, as the call's questionnaire lists them."""

from __future__ import annotations

import streamlit as st

from core import questionnaire
from pages.components import escape_md
from pages.step_form import StepForm
from pages.step_widgets import ask


def render_step(number: int) -> None:
    """Render step `number` of the current application (the summary step has its own page)."""
    form = StepForm(number)
    step = questionnaire.questionnaire_for(form.call).step(number)
    if step.kind == "summary":
        from pages.summary import render_summary

        form.render(render_summary, fragment=False)  # a deposit redraws the whole page
    else:
        form.render(lambda form: _questions(form, number, step))


def _questions(form: StepForm, number: int, step: questionnaire.Step) -> None:
    """The notices, the introduction and the questions of step `number` asked of this draft."""
    for text in questionnaire.notices(form.call, number, form.data):
        st.info(escape_md(text))
    if step.intro:
        st.write(escape_md(step.intro))
    section = None
    for question in questionnaire.questions(form.call):
        # Conditions are read against the answers saved so far on this very run, so a
        # question appears as soon as the answer it depends on is given.
        if question.step != number:
            continue
        if not questionnaire.holds(question.question.asked_when, form.data, form.call):
            continue
        if question.question.section and question.question.section != section:
            section = question.question.section
            st.subheader(section, anchor=False)
        form.ask(question, lambda question=question: ask(form, question))
