"""core.samples: the one sample application per kind of call (demo, scale seed, builders)."""

from __future__ import annotations

import datetime as dt

import pytest

from core import questionnaire, samples
from core.calls import get_call, load_calls
from core.models import Application, Status
from core.rules import evaluate


def _open_day(call_id: str) -> dt.date:
    call = get_call(call_id)
    return call.closes_on or max(call.opens_on, dt.date(2021, 2, 10))


@pytest.mark.parametrize("call_id", sorted(load_calls()))
def test_each_call_s_sample_is_complete_and_eligible(call_id):
    call = get_call(call_id)
    data = Application.model_validate(samples.answers(call_id))
    verdict = evaluate(data, call, _open_day(call_id))
    assert verdict.missing == []
    assert verdict.status == Status.ELIGIBLE


@pytest.mark.parametrize("call_id", sorted(load_calls()))
def test_every_commitment_of_the_call_is_accepted(call_id):
    call = get_call(call_id)
    assert samples.answers(call)["commitments"] == dict.fromkeys(call.commitment_ids(), True)


def test_the_project_s_figures_are_the_call_s():
    call = get_call("cd93-2021-numerique-inclusif")
    project = samples.answers(call)["project"]
    assert project["targets"] == {t.id: t.minimum for t in call.targets}
    assert project["budget_eur"] == call.envelope.share_eur


def test_documents_are_those_the_questionnaire_asks():
    call = get_call("cd93-2021-numerique-inclusif")
    data = samples.answers(call, attach=lambda spec: samples.placeholder_attachment(spec.id))
    asked = [
        q.path.removeprefix("attachments.")
        for q in questionnaire.applicable(Application.model_validate(data), call)
        if q.widget == "file"
    ]
    assert list(data["attachments"]) == asked
    assert [ref["filename"] for ref in data["attachments"].values()] == asked


def test_changes_set_or_remove_answers_and_keep_the_caller_s_values_apart():
    programmes = ["Petites villes de demain"]
    data = samples.answers(
        "cnfs-2020-collectivites",
        **samples.section("structure", priority_programmes=programmes, qpv=samples.DELETE),
    )
    assert data["structure"]["priority_programmes"] == programmes
    assert "qpv" not in data["structure"]
    data["structure"]["priority_programmes"].append("Action cœur de ville")
    assert programmes == ["Petites villes de demain"]
