"""Rules of the territorial project calls (kind cd93_inclusion: the Département 93 AMI).

The porteur's identity, contact and commitments are checked as for every call (core.rules);
this module adds the project's own rules, each quoting the call file's source. `eligible`
means *recevable*: the Département then selects one project per territory.
"""

from __future__ import annotations

import datetime as dt

from stdnum.fr import siret as stdnum_siret

from core import identifiers, questionnaire
from core import rules as shared
from core.calls import Call
from core.formatting import format_date_fr, format_eur, format_int
from core.models import Application, Effect

AMI = "AMI Numérique inclusif 93"


def _check_territory(check: shared._Check, app: Application, call: Call) -> None:
    territory = app.project.territory
    if territory is not None and call.option_label("territories", territory) is None:
        names = ", ".join(t.id for t in call.territories)
        check.invalid(
            "project.territory",
            "project.territory_unknown",
            f"Choisissez un territoire parmi {names} : un dossier par territoire.",
            [call.territories[0].source or AMI] if call.territories else [],
        )


def _check_options(check: shared._Check, app: Application, call: Call) -> None:
    for path, list_name in (
        ("project.target_publics", "target_publics"),
        ("project.prescribers", "prescribers"),
    ):
        chosen = questionnaire.value_at(app, path) or []
        unknown = [x for x in chosen if call.option_label(list_name, x) is None]
        if unknown:
            check.invalid(
                path,
                f"{path}_unknown",
                f"Choix inconnus ({', '.join(unknown)}) : choisissez dans la liste de l'appel.",
            )


def _check_dates(check: shared._Check, app: Application, call: Call) -> None:
    start, rules = app.project.start_date, call.project
    if start is None or rules is None:
        return
    if start < rules.start_from.date:
        quote = f" (« {rules.start_from.quote} »)" if rules.start_from.quote else ""
        check.reason(
            "project.start_too_early",
            f"Le projet doit démarrer à partir du {format_date_fr(rules.start_from.date)}{quote} "
            ": choisissez une date de démarrage à partir de ce jour.",
            [rules.start_from.source],
            Effect.INELIGIBLE,
            "project.start_date",
        )
    elif start > rules.diagnoses_by.date:
        check.reason(
            "project.start_after_diagnoses",
            "Toutes les personnes doivent avoir été reçues en diagnostic individuel au "
            f"{format_date_fr(rules.diagnoses_by.date)} : un démarrage après cette date ne le "
            "permet pas ; avancez la date de démarrage.",
            [rules.diagnoses_by.source],
            Effect.INELIGIBLE,
            "project.start_date",
        )


def _check_consortium(check: shared._Check, app: Application, call: Call) -> None:
    rules = call.project
    if rules is None:
        return
    partners = app.project.consortium
    porteur = identifiers.compact_siret(app.structure.siret or "")
    for number, partner in enumerate(partners, 1):
        if not (partner.name and partner.siret and partner.role):
            check.invalid(
                "project.consortium",
                "project.partner_incomplete",
                f"Partenaire n° {number} : indiquez son nom, son SIRET et son rôle dans le "
                "projet, ou retirez la ligne.",
                [rules.consortium_source],
            )
            continue
        siret = identifiers.compact_siret(partner.siret)
        if not identifiers.is_ascii_digits(siret, 14) or not stdnum_siret.is_valid(siret):
            check.invalid(
                "project.consortium",
                "project.partner_siret_invalid",
                f"Partenaire n° {number} : ce SIRET n'est pas valide (14 chiffres, clé de "
                "contrôle) ; vérifiez-le sur l'avis de situation SIRENE.",
            )
        elif siret == porteur:
            check.invalid(
                "project.consortium",
                "project.partner_is_porteur",
                f"Partenaire n° {number} : c'est la structure porteuse elle-même ; indiquez "
                "ici les autres membres du consortium.",
                [rules.consortium_source],
            )
    if partners and len(partners) < rules.min_partners:
        check.reason(
            "project.consortium_too_small",
            f"Le projet prend la forme d'un consortium : indiquez au moins "
            f"{rules.min_partners} partenaire(s) en plus de votre structure.",
            [rules.consortium_source],
            Effect.INELIGIBLE,
            "project.consortium",
        )


def _check_targets(check: shared._Check, app: Application, call: Call) -> None:
    for target in call.targets:
        path = f"project.targets.{target.id}"
        value = questionnaire.value_at(app, path)
        if value is None:
            continue
        if value < 0:
            check.invalid(path, "project.target_negative", "Indiquez un nombre de personnes.")
        elif value < target.minimum and target.approximate:
            check.reason(
                f"project.target_below.{target.id}",
                f"L'AMI vise {target.quote} par territoire ; votre objectif "
                f"({format_int(value)}) est en dessous : le Département l'appréciera, "
                "expliquez-le dans la description du projet.",
                [target.source],
                Effect.INFO,
                path,
            )
        elif value < target.minimum:
            check.reason(
                f"project.target_below.{target.id}",
                f"L'AMI vise, pour chaque territoire, {target.quote} : portez cet objectif à "
                f"{format_int(target.minimum)} au moins (vous indiquez {format_int(value)}).",
                [target.source],
                Effect.INELIGIBLE,
                path,
            )


def _check_budget(check: shared._Check, app: Application, call: Call) -> int | None:
    """The checks of the budget; the subsidy requested when it fits one territory's share."""
    project, envelope = app.project, call.envelope
    budget, coordination = project.budget_eur, project.coordination_budget_eur
    if budget is not None and budget <= 0:
        check.invalid(
            "project.budget_eur",
            "project.budget_not_positive",
            "Indiquez le montant de la subvention demandée, en euros.",
        )
        return None
    if coordination is not None and coordination < 0:
        check.invalid(
            "project.coordination_budget_eur",
            "project.coordination_negative",
            "Indiquez le montant de la ligne de coordination (0 s'il n'y en a pas).",
        )
    elif coordination is not None and budget is not None and coordination > budget:
        check.invalid(
            "project.coordination_budget_eur",
            "project.coordination_above_budget",
            f"La ligne de coordination fait partie de la subvention demandée : indiquez au plus "
            f"{format_eur(budget)}.",
            [call.project.coordination_source] if call.project else [],
        )
    if budget is None or envelope is None:
        return budget
    if budget > envelope.share_eur:
        check.reason(
            "project.budget_above_share",
            f"L'enveloppe de {format_eur(envelope.total_eur)} est répartie à parts égales entre "
            f"les {envelope.shares} territoires : demandez au plus "
            f"{format_eur(envelope.share_eur)} pour votre territoire (vous demandez "
            f"{format_eur(budget)}).",
            [envelope.source],
            Effect.INELIGIBLE,
            "project.budget_eur",
        )
        return None
    return budget


def _check_attachments(check: shared._Check, app: Application, call: Call) -> None:
    # Which pieces are asked, and when, is the questionnaire's (one place): the call file gives
    # each piece its label and source.
    specs = {spec.id: spec for spec in call.attachments}
    for question in questionnaire.applicable(app, call):
        spec = specs.get(question.path.removeprefix("attachments."))
        if question.widget != "file" or not question.question.required or spec is None:
            continue
        if spec.id not in app.attachments:
            check.reason(
                "attachments.missing",
                f"Joignez la pièce « {spec.label} » (PDF, JPEG ou PNG) : elle est demandée avec "
                "la réponse à l'AMI.",
                [spec.source],
                Effect.INCOMPLETE,
                question.path,
            )
            check.need(question.path)


def evaluate_territorial_project(app: Application, call: Call, today: dt.date) -> shared._Check:
    """Rules for calls that fund one consortium project per territory, on a budget."""
    check = shared._Check()
    shared._check_call_open(check, call, today)
    shared._check_structure(check, app, call)
    shared._check_contact(check, app)
    _check_territory(check, app, call)
    _check_options(check, app, call)
    _check_dates(check, app, call)
    _check_consortium(check, app, call)
    _check_targets(check, app, call)
    check.subsidy = (_check_budget(check, app, call), None)
    _check_attachments(check, app, call)
    shared._check_commitments(check, app, call)
    if call.project and not any(r.effect != Effect.INFO for r in check.reasons):
        check.reason("project.selection", call.project.answers_note, call.sources)
    return check


shared.RULESETS["cd93_inclusion"] = evaluate_territorial_project
