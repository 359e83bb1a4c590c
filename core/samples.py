"""Sample answers to a call: one complete answer set per kind of call, changed where a caller
varies it. The demo, the scale seed and the tests' builders all start from here.

What the call fixes is read from the call file and the questionnaire, never listed again here:
every commitment of the call accepted, the first contract duration it offers, the Département's
targets at their minimums, the budget at one territory's share of the envelope, one document
for each file question the sample's own answers are asked (changes apply after: a test that
answers "no 2020 subsidy" finds the administrative file still to join).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from core.calls import AttachmentSpec, Call, get_call
from core.models import Application

# Valid SIRETs (SIREN + NIC, Luhn key checked by python-stdnum).
SIRET_COMMUNE_93 = "21930048000007"
SIRET_OTHER = "20005478100006"
SIRET_PARTNER = "78467169500087"

DELETE = object()  # as a change's value: remove that answer, answers(call, **{"a.b": DELETE})

Attach = Callable[[AttachmentSpec], dict[str, Any]]


def section(prefix: str, /, **values: Any) -> dict[str, Any]:
    """Changes to several answers of one section: section("posts", count=3) is
    {"posts.count": 3}."""
    return {f"{prefix}.{key}": value for key, value in values.items()}


def all_commitments(call: Call) -> dict[str, bool]:
    """Every commitment of the call, accepted."""
    return dict.fromkeys(call.commitment_ids(), True)


def placeholder_attachment(filename: str = "piece.pdf") -> dict[str, Any]:
    """A document as the exchange format references it, without the file (stored apart)."""
    return {
        "filename": filename,
        "sha256": "0" * 64,
        "size": 48_213,
        "media_type": "application/pdf",
    }


def _placeholder(spec: AttachmentSpec) -> dict[str, Any]:
    return placeholder_attachment(spec.id.replace("_", "-") + ".pdf")


def answers(call: Call | str, /, *, attach: Attach | None = None, **changes: Any) -> dict[str, Any]:
    """Complete answers to the call as exchange-format JSON: hosted posts for a call funding
    posts (CNFS), a territorial project otherwise (Département 93). Changes use dotted paths;
    attach gives the document joined for each file question (a placeholder by default)."""
    call = get_call(call) if isinstance(call, str) else call
    if call.project is not None:
        return project_answers(call, attach=attach, **changes)
    return post_answers(call, **changes)


def post_answers(call: Call, /, **changes: Any) -> dict[str, Any]:
    """A structure hosting conseillers numériques: a commune for a call to public bodies, an
    association otherwise."""
    public = call.audience == "public"
    months = call.contract.months if call.contract else [None]
    data: dict[str, Any] = {
        "call_id": call.id,
        "structure": {
            "siret": SIRET_COMMUNE_93 if public else SIRET_OTHER,
            "name": "Commune de Montreuil" if public else "Association Les Liens numériques",
            "structure_type": "commune" if public else "association",
            "legal_category": "7210" if public else "9220",
            "department": "93",
            "commune": "Montreuil",
            "address": "1 place Jean-Jaurès, 93100 Montreuil",
            "france_services": False,
            "qpv": True,
            "ess": None if public else "by_status",
            "priority_programmes": [],
        },
        "contact": {
            "name": "Élodie Lefèvre",
            "role": "Secrétaire de mairie",
            "email": "elodie.lefevre@montreuil.fr",
            "phone": "01 48 70 60 00",
        },
        "posts": {
            "count": 2,
            "contract_months": months[0],
            "start_date": "2021-03-01",
            "salary_top_up": False,
            "places_of_activity": "Médiathèque Robert-Desnos ; mairie annexe",
            "candidate_identified": False,
            "consolidates_existing_posts": False,
            "coordinator_wanted": False,
        },
        "commitments": all_commitments(call),
    }
    return _changed(data, changes)


def project_answers(
    call: Call, /, *, attach: Attach | None = None, **changes: Any
) -> dict[str, Any]:
    """An association carrying a consortium's project on one territory, admissible as it
    stands: targets at the call's minimums, budget at one territory's share."""
    data: dict[str, Any] = {
        "call_id": call.id,
        "structure": {
            "siret": SIRET_OTHER,
            "name": "Association Les Liens numériques",
            "structure_type": "association",
            "legal_category": "9220",
            "department": "93",
            "commune": "Montreuil",
            "address": "12 rue de Paris, 93100 Montreuil",
        },
        "contact": {
            "name": "Élodie Lefèvre",
            "role": "Coordinatrice",
            "email": "elodie.lefevre@liens-numeriques.fr",
            "phone": "01 48 70 60 00",
        },
        "project": {
            "territory": "T8",
            "summary": "Diagnostic, équipement reconditionné, connexion, formation, certification.",
            "start_date": "2021-09-01",
            "consortium": [
                {"name": "Ressourcerie de l'Est", "siret": SIRET_PARTNER, "role": "Réemploi"}
            ],
            "network": "EPT Est Ensemble, PLIE, médiathèques, conseillers numériques",
            "target_publics": ["rsa", "siae_employees"],
            "prescribers": ["pie", "missions_locales"],
            "targets": {target.id: target.minimum for target in call.targets},
            "budget_eur": call.envelope.share_eur if call.envelope else None,
            "coordination_budget_eur": 15_000,
            "prior_department_subsidy_2020": True,
        },
        "commitments": all_commitments(call),
    }
    data["attachments"] = _documents(call, data, attach or _placeholder)
    return _changed(data, changes)


def _documents(call: Call, data: dict[str, Any], attach: Attach) -> dict[str, Any]:
    """One document for each file question the questionnaire asks of these answers."""
    from core import questionnaire  # the questionnaire's conditions read the answers

    specs = {spec.id: spec for spec in call.attachments}
    asked = questionnaire.applicable(Application.model_validate(data), call)
    ids = [q.path.split(".", 1)[1] for q in asked if q.widget == "file"]
    return {attachment_id: attach(specs[attachment_id]) for attachment_id in ids}


def _changed(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split(".")
        for key in parents:
            target = target[key]
        if value is DELETE:
            target.pop(leaf, None)
        else:
            target[leaf] = copy.deepcopy(value)  # the caller's lists stay the caller's
    return data
