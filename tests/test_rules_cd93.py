"""Rules of the Département 93 AMI « Numérique inclusif » (seed 003), one behaviour per test."""

from __future__ import annotations

import datetime as dt

import pytest

from core.calls import get_call
from core.formatting import format_eur
from core.models import Effect, Status
from core.rules import evaluate
from tests.builders import (
    CD93,
    CD93_TODAY,
    DELETE,
    SIRET_COMMUNE_93,
    SIRET_OTHER,
    attachment_ref,
    complete_project,
)


@pytest.fixture
def cd93():
    return get_call(CD93)


def verdict_of(call, today=CD93_TODAY, **changes):
    return evaluate(complete_project(**changes), call, today)


def codes(verdict, effect=None):
    return [r.code for r in verdict.reasons if effect is None or r.effect == effect]


def test_a_complete_project_is_eligible_that_is_recevable(cd93):
    verdict = verdict_of(cd93)
    assert verdict.status == Status.ELIGIBLE
    assert verdict.missing == []
    assert verdict.subsidy_eur == 187_500  # the subsidy requested
    assert verdict.tranches == []  # the seed gives no payment schedule: none is invented
    assert "project.selection" in codes(verdict)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2021, 6, 25), Status.ELIGIBLE),  # « jusqu'au vendredi 25 juin 2021 à minuit »
        (dt.date(2021, 6, 26), Status.INELIGIBLE),
    ],
)
def test_deposit_is_open_until_25_june_inclusive(cd93, today, expected):
    verdict = verdict_of(cd93, today=today)
    assert verdict.status == expected
    if expected == Status.INELIGIBLE:
        assert "call.closed" in codes(verdict, Effect.INELIGIBLE)


@pytest.mark.parametrize(
    ("structure_type", "ess", "expected"),
    [
        ("association", None, Status.ELIGIBLE),  # « une association »
        ("fondation", None, Status.ELIGIBLE),  # ESS by status
        ("structure_ess", "by_status", Status.ELIGIBLE),
        ("company", "esus_agrement", Status.ELIGIBLE),  # « … ou agrément »
        ("company", "none", Status.INELIGIBLE),  # a company outside the ESS
        ("commune", None, Status.INELIGIBLE),  # a collectivité supports, it does not carry
    ],
)
def test_who_may_carry_the_project(cd93, structure_type, ess, expected):
    category = {"commune": "7210", "company": "5710"}.get(structure_type, "")
    verdict = verdict_of(
        cd93,
        **{
            "structure.structure_type": structure_type,
            "structure.ess": ess,
            "structure.legal_category": category or None,
        },
    )
    assert verdict.status == expected


def test_a_collectivite_is_told_who_may_apply(cd93):
    verdict = verdict_of(
        cd93, **{"structure.structure_type": "commune", "structure.legal_category": "7210"}
    )
    reason = next(r for r in verdict.reasons if r.code == "structure.type_not_eligible")
    assert "associations" in reason.message and "économie sociale et solidaire" in reason.message
    assert reason.sources == ["AMI Numérique inclusif 93, §1 Critères d'éligibilité"]


def test_a_territory_outside_t6_t9_is_refused(cd93):
    verdict = verdict_of(cd93, **{"project.territory": "T2"})
    assert verdict.status == Status.INCOMPLETE
    assert "project.territory" in verdict.missing


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ("2021-06-30", Status.INELIGIBLE),  # « à partir du troisième trimestre 2021 »
        ("2021-07-01", Status.ELIGIBLE),
        ("2022-06-30", Status.ELIGIBLE),
        ("2022-07-01", Status.INELIGIBLE),  # diagnoses all done by 30 June 2022
    ],
)
def test_start_date_from_1_july_2021_and_diagnoses_by_30_june_2022(cd93, start, expected):
    verdict = verdict_of(cd93, **{"project.start_date": start})
    assert verdict.status == expected
    if expected == Status.INELIGIBLE:
        reason = next(r for r in verdict.reasons if r.field == "project.start_date")
        assert "Phasage du projet" in reason.sources[0]


def test_the_start_date_reason_quotes_the_call_file(cd93):
    start_from = cd93.project.start_from.model_copy(
        update={"date": dt.date(2021, 9, 1), "quote": "dès la rentrée 2021"}
    )
    call = cd93.model_copy(
        update={"project": cd93.project.model_copy(update={"start_from": start_from})}
    )
    verdict = verdict_of(call, **{"project.start_date": "2021-08-31"})
    reason = next(r for r in verdict.reasons if r.code == "project.start_too_early")
    assert "1er septembre 2021 (« dès la rentrée 2021 »)" in reason.message
    assert "troisième trimestre" not in reason.message


@pytest.mark.parametrize(
    ("budget", "expected"),
    [(187_500, Status.ELIGIBLE), (187_501, Status.INELIGIBLE)],  # 750 000 € / 4 EPT
)
def test_budget_at_most_one_territory_share(cd93, budget, expected):
    verdict = verdict_of(cd93, **{"project.budget_eur": budget})
    assert verdict.status == expected
    if expected == Status.INELIGIBLE:
        reason = next(r for r in verdict.reasons if r.code == "project.budget_above_share")
        assert format_eur(187_500) in reason.message and "750.000€" in reason.sources[0]
        assert verdict.subsidy_eur is None


def test_coordination_line_is_part_of_the_budget(cd93):
    verdict = verdict_of(
        cd93, **{"project.budget_eur": 100_000, "project.coordination_budget_eur": 100_001}
    )
    assert verdict.status == Status.INCOMPLETE
    assert "project.coordination_budget_eur" in verdict.missing


@pytest.mark.parametrize(
    ("target", "minimum"),
    [("diagnosed", 250), ("equipped", 200), ("connected", 100), ("certified", 100)],
)
def test_a_target_below_its_minimum_is_not_eligible(cd93, target, minimum):
    assert verdict_of(cd93, **{f"project.targets.{target}": minimum}).status == Status.ELIGIBLE
    verdict = verdict_of(cd93, **{f"project.targets.{target}": minimum - 1})
    assert verdict.status == Status.INELIGIBLE
    reason = next(r for r in verdict.reasons if r.code == f"project.target_below.{target}")
    assert f"au moins {minimum}" in reason.message  # the seed's own words
    assert reason.sources and reason.field == f"project.targets.{target}"


def test_orientation_below_about_150_is_a_notice_not_a_refusal(cd93):
    verdict = verdict_of(cd93, **{"project.targets.oriented": 149})
    assert verdict.status == Status.ELIGIBLE
    reason = next(r for r in verdict.reasons if r.code == "project.target_below.oriented")
    assert reason.effect == Effect.INFO and "environ 150" in reason.message


def test_at_least_one_target_public(cd93):
    verdict = verdict_of(cd93, **{"project.target_publics": []})
    assert verdict.status == Status.INCOMPLETE
    assert verdict.missing == ["project.target_publics"]


def test_an_unknown_target_public_is_refused(cd93):
    verdict = verdict_of(cd93, **{"project.target_publics": ["retirees"]})
    assert "project.target_publics" in verdict.missing


def test_consortium_needs_a_partner(cd93):
    verdict = verdict_of(cd93, **{"project.consortium": []})
    assert verdict.status == Status.INCOMPLETE
    assert "project.consortium" in verdict.missing


@pytest.mark.parametrize(
    ("partner", "code"),
    [
        ({"name": "Ressourcerie", "siret": None, "role": "Réemploi"}, "project.partner_incomplete"),
        ({"name": "R", "siret": "12345678901234", "role": "R"}, "project.partner_siret_invalid"),
        ({"name": "Nous", "siret": SIRET_OTHER, "role": "R"}, "project.partner_is_porteur"),
    ],
)
def test_each_partner_is_named_with_a_valid_siret_and_a_role(cd93, partner, code):
    verdict = verdict_of(cd93, **{"project.consortium": [partner]})
    assert verdict.status == Status.INCOMPLETE
    assert code in codes(verdict)


def test_two_partners_are_fine(cd93):
    partners = [
        {"name": "Ressourcerie", "siret": "78467169500087", "role": "Réemploi"},
        {"name": "Régie", "siret": SIRET_COMMUNE_93, "role": "Médiation"},
    ]
    assert verdict_of(cd93, **{"project.consortium": partners}).status == Status.ELIGIBLE


@pytest.mark.parametrize("attachment", ["ept_support_letter", "project_description", "budget"])
def test_required_attachments_must_be_joined(cd93, attachment):
    verdict = verdict_of(cd93, **{f"attachments.{attachment}": DELETE})
    assert verdict.status == Status.INCOMPLETE
    assert verdict.missing == [f"attachments.{attachment}"]
    reason = next(r for r in verdict.reasons if r.field == f"attachments.{attachment}")
    assert reason.effect == Effect.INCOMPLETE and reason.sources


def test_the_ept_letter_reason_quotes_the_seed(cd93):
    verdict = verdict_of(cd93, **{"attachments.ept_support_letter": DELETE})
    reason = next(r for r in verdict.reasons if r.field == "attachments.ept_support_letter")
    assert "lettre de soutien" in reason.sources[0]


def test_administrative_file_only_without_a_2020_subsidy(cd93):
    with_subsidy = verdict_of(cd93, **{"project.prior_department_subsidy_2020": True})
    assert "attachments.administrative_file" not in with_subsidy.missing
    without = verdict_of(cd93, **{"project.prior_department_subsidy_2020": False})
    assert without.status == Status.INCOMPLETE
    assert without.missing == ["attachments.administrative_file"]
    joined = verdict_of(
        cd93,
        **{
            "project.prior_department_subsidy_2020": False,
            "attachments.administrative_file": attachment_ref("statuts.pdf"),
        },
    )
    assert joined.status == Status.ELIGIBLE


def test_every_commitment_is_needed(cd93):
    verdict = verdict_of(cd93, **{"commitments.share_data": False})
    assert verdict.status == Status.INCOMPLETE
    assert "commitments.share_data" in verdict.missing


def test_an_empty_draft_is_incomplete_and_lists_the_form_in_order(cd93):
    verdict = evaluate({"call_id": CD93}, cd93, CD93_TODAY)
    assert verdict.status == Status.INCOMPLETE
    assert verdict.missing[0] == "structure.siret"
    assert verdict.missing.index("project.territory") < verdict.missing.index(
        "attachments.ept_support_letter"
    )


def test_cnfs_verdicts_keep_their_tranches_and_review_date():
    from tests.builders import TODAY, WAVE1, complete_application

    verdict = evaluate(complete_application(WAVE1), get_call(WAVE1), TODAY)
    assert [t.percent for t in verdict.tranches] == [20, 30, 50]
    assert verdict.review_date == dt.date(2021, 2, 15)
