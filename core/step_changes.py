"""Which parts of a step's screen one saved answer changes.

A step shows a header (the structure's name, the steps still to complete), its body (notices,
the questions asked of this draft with their values, help and messages) and the eligibility
panel (the verdict). After an answer is saved, a page redraws only the parts that changed: most
answers (a contact's name, an address) change nothing but their own question (issue 15: each
element drawn is a message to the browser on every change).
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from core import presentation, questionnaire
from core.calls import Call
from core.models import Application, Verdict


class Scope(enum.Enum):
    PAGE = "page"  # the header changed: the whole page
    STEP = "step"  # another question, a notice or a condition changed: the step's body
    QUESTION = "question"  # the answer's own question, and the panel if the verdict changed


class Redraw(NamedTuple):
    scope: Scope
    panel: bool  # the verdict changed (always redrawn with a page or a step)


def header_state(data: Application, verdict: Verdict, call: Call) -> tuple[Any, ...]:
    """What a step's header shows of a draft: the structure's name, the steps with problems."""
    return data.structure.name, {p.step for p in presentation.problems(verdict, call)}


def _body_state(
    call: Call, step: int, data: Application, verdict: Verdict, skip: str
) -> tuple[Any, ...]:
    """What the step's body shows outside the question at `skip`, in the order it is drawn."""
    shown: list[Any] = [tuple(questionnaire.notices(call, step, data))]
    for question in questionnaire.questions(call):
        if question.step != step or not questionnaire.holds(
            question.question.asked_when, data, call
        ):
            continue
        if question.path == skip:
            shown.append(skip)  # drawn here; what it shows is its own part's
            continue
        shown.append(
            (
                question.path,
                questionnaire.value_at(data, question.path),
                questionnaire.help_text(question, call, data),
                tuple(presentation.field_reasons(verdict, question.path)),
            )
        )
    return tuple(shown)


def redraw(
    call: Call,
    step: int,
    path: str,
    before: tuple[Application, Verdict],
    after: tuple[Application, Verdict],
) -> Redraw:
    """What to draw again on step `step` once the answer at `path` took `before` to `after`."""
    panel = before[1] != after[1]
    if header_state(*before, call) != header_state(*after, call):
        return Redraw(Scope.PAGE, panel)
    if _body_state(call, step, *before, skip=path) != _body_state(call, step, *after, skip=path):
        return Redraw(Scope.STEP, panel)
    return Redraw(Scope.QUESTION, panel)
