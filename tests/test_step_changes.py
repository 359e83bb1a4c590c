"""Which parts of a step an answer redraws: its question alone, the panel with it, the step's
body or the whole page (core.step_changes)."""

import pytest

from core import rules
from core.calls import get_call
from core.step_changes import Redraw, Scope, redraw
from tests.builders import TODAY, WAVE1, application

CALL = get_call(WAVE1)


def change(step: int, path: str, before: dict, after: dict) -> Redraw:
    old, new = application(WAVE1, **before), application(WAVE1, **after)
    return redraw(
        CALL,
        step,
        path,
        (old, rules.evaluate(old, CALL, TODAY)),
        (new, rules.evaluate(new, CALL, TODAY)),
    )


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        ("contact.name", "Lou Bernard", "Camille Martin"),
        ("contact.role", "DGS", "Secrétaire de mairie"),
        ("structure.address", "Esplanade Claude-Fuzier", "1 place de la Mairie"),
    ],
)
def test_an_answer_nothing_else_reads_redraws_its_question_alone(path, before, after):
    step = 1
    assert change(step, path, {path: before}, {path: after}) == Redraw(Scope.QUESTION, False)


def test_a_number_of_posts_redraws_its_question_and_the_estimated_subsidy():
    assert change(2, "posts.count", {"posts.count": 1}, {"posts.count": 3}) == Redraw(
        Scope.QUESTION, True
    )


def test_an_answer_that_hides_a_question_redraws_the_step():
    before = {"posts.consolidates_existing_posts": True, "posts.consolidation_details": "2 CDD"}
    after = {"posts.consolidates_existing_posts": False, "posts.consolidation_details": "2 CDD"}
    result = change(2, "posts.consolidates_existing_posts", before, after)
    assert result.scope is Scope.STEP


def test_the_structure_name_redraws_the_page_that_shows_it_in_its_header():
    result = change(1, "structure.name", {"structure.name": "Bondy"}, {"structure.name": "Pantin"})
    assert result.scope is Scope.PAGE


def test_an_answer_that_opens_a_problem_on_its_step_redraws_the_page_and_its_step_bar():
    result = change(1, "contact.email", {}, {"contact.email": None})
    assert result == Redraw(Scope.PAGE, True)
