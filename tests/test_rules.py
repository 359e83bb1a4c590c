"""Eligibility rules: table-driven cases, every structure type, and robustness."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.calls import get_call, load_calls
from core.models import Application, Status, StructureType
from core.rules import coerce_application, evaluate, review_date
from tests.builders import TODAY, WAVE1, WAVE2, complete_application

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "rules.yaml").read_text("utf-8"))

PUBLIC_TYPES = [
    t
    for t in StructureType
    if t.value not in {"association", "fondation", "structure_ess", "company", "other"}
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_case(case):
    data = complete_application(case["call"], **case.get("changes", {}))
    verdict = evaluate(data, get_call(case["call"]), case.get("today", TODAY))
    codes = [r.code for r in verdict.reasons]
    if "status" in case:
        assert verdict.status == case["status"], verdict.reasons
    for code in case.get("reasons", []):
        assert code in codes
    if "missing" in case:
        assert verdict.missing == case["missing"]
    for flag in case.get("flags", []):
        assert flag in verdict.flags
    if "subsidy_eur" in case:
        assert verdict.subsidy_eur == case["subsidy_eur"]
    if "tranches" in case:
        got = [[t.percent, t.amount_eur, t.months_after_signature] for t in verdict.tranches]
        assert got == case["tranches"]
    if "review_date" in case:
        assert verdict.review_date == case["review_date"]


@pytest.mark.parametrize("structure_type", list(StructureType))
def test_every_structure_type_in_wave1(structure_type):
    data = complete_application(
        WAVE1,
        **{"structure.structure_type": structure_type.value, "structure.legal_category": None},
    )
    verdict = evaluate(data, get_call(WAVE1), TODAY)
    expected = Status.ELIGIBLE if structure_type in PUBLIC_TYPES else Status.INELIGIBLE
    assert verdict.status == expected, verdict.reasons
    legal = [r for r in verdict.reasons if r.code.startswith("structure.type_")]
    assert legal and legal[0].sources, "every verdict on the type cites its source"


@pytest.mark.parametrize("structure_type", list(StructureType))
def test_every_structure_type_in_wave2(structure_type):
    data = complete_application(
        WAVE2,
        **{
            "structure.structure_type": structure_type.value,
            "structure.legal_category": None,
            "structure.ess": "esus_agrement",
        },
    )
    verdict = evaluate(data, get_call(WAVE2), TODAY)
    private = {"association", "fondation", "structure_ess", "company"}
    expected = Status.ELIGIBLE if structure_type.value in private else Status.INELIGIBLE
    assert verdict.status == expected, verdict.reasons


def test_association_in_wave1_hears_of_wave2_and_mise_a_disposition():
    data = complete_application(WAVE1, **{"structure.structure_type": "association"})
    reason = next(
        r
        for r in evaluate(data, get_call(WAVE1), TODAY).reasons
        if r.code == "structure.type_not_eligible"
    )
    assert "vague 2" in reason.message
    assert "mis à disposition" in reason.message
    assert "AMI collectivités §II.2" in reason.sources


def test_empty_draft_lists_every_question_in_form_order():
    verdict = evaluate(Application(call_id=WAVE1), get_call(WAVE1), TODAY)
    assert verdict.status == Status.INCOMPLETE
    assert verdict.missing[:3] == ["structure.siret", "structure.name", "structure.structure_type"]
    assert verdict.missing.index("contact.email") < verdict.missing.index("posts.count")
    commitments = [m for m in verdict.missing if m.startswith("commitments.")]
    assert commitments == [f"commitments.{c}" for c in get_call(WAVE1).commitment_ids()]
    assert verdict.missing[-len(commitments) :] == commitments


def test_overseas_subsidy_is_a_base_with_the_regulatory_note():
    data = complete_application(WAVE1, **{"structure.department": "971"})
    verdict = evaluate(data, get_call(WAVE1), TODAY)
    assert "overseas" in verdict.flags
    assert "majoration outre-mer selon la réglementation en vigueur" in verdict.subsidy_note
    assert verdict.subsidy_eur == 2 * get_call(WAVE1).amount_per_post.value


def test_seine_saint_denis_agreement_figures_come_from_the_call():
    agreement = get_call(WAVE1).territorial_agreements[0]
    assert (agreement.department, agreement.max_posts, agreement.max_eur) == ("93", 80, 4_000_000)


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        ("2021-01-01", "2021-01-15"),
        ("2021-01-14", "2021-01-15"),
        ("2021-01-15", "2021-02-15"),
        ("2021-01-31", "2021-02-15"),
        ("2021-12-14", "2021-12-15"),
        ("2021-12-15", "2022-01-15"),
    ],
)
def test_review_on_the_15th(submitted, expected):
    assert review_date(dt.date.fromisoformat(submitted), 15) == dt.date.fromisoformat(expected)


def test_invalid_answers_are_dropped_with_a_reason_not_an_exception():
    data = complete_application(WAVE1, **{"posts.count": "beaucoup", "structure.qpv": [1]})
    app, reasons = coerce_application(data)
    assert app.posts.count is None and app.structure.qpv is None
    assert app.structure.name == "Commune de Montreuil"  # the rest is kept
    assert {r.field for r in reasons} == {"posts.count", "structure.qpv"}
    verdict = evaluate(data, get_call(WAVE1), TODAY)
    assert verdict.status == Status.INCOMPLETE
    assert "posts.count" in verdict.missing


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "call_id",
        "structure",
        "contact",
        "posts",
        "commitments",
        "siret",
        "count",
        "structure_type",
        "department",
        "start_date",
        "coordinator_wanted",
        "coordinator_count",
    ]
)
application_like = st.dictionaries(
    field_names, json_values | st.dictionaries(field_names, json_values, max_size=6), max_size=6
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=application_like | json_values,
    call_id=st.sampled_from([WAVE1, WAVE2]),
    today=st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2030, 12, 31)),
)
def test_evaluate_never_raises_on_json_input(data, call_id, today):
    verdict = evaluate(data, get_call(call_id), today)
    assert verdict.status in set(Status)
    json.dumps(verdict.public_dict())


@settings(max_examples=200, deadline=None)
@given(
    changes=st.fixed_dictionaries(
        {},
        optional={
            "posts.count": st.integers(-5, 10**6),
            "posts.coordinator_count": st.integers(-5, 300),
            "structure.department": st.text(max_size=4),
            "structure.siret": st.text(alphabet="0123456789 A", max_size=16),
        },
    )
)
def test_mutated_complete_application_always_gets_a_verdict(changes):
    verdict = evaluate(complete_application(WAVE1, **changes), get_call(WAVE1), TODAY)
    assert verdict.status in set(Status)
    if verdict.subsidy_eur is not None:
        assert sum(t.amount_eur for t in verdict.tranches) == verdict.subsidy_eur


def test_every_shipped_call_loads_with_its_commitments():
    calls = load_calls()
    assert {WAVE1, WAVE2} <= set(calls)
    for call in calls.values():
        assert call.commitments and all(c.source for c in call.commitments)
        if call.amount_per_post is not None:  # calls funding posts pay them in tranches
            assert sum(t.percent for t in call.tranches) == 100
