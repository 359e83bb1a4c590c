"""Builders of complete applications for tests and benchmarks."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from core.calls import get_call
from core.models import Application, Declaration

WAVE1 = "cnfs-2020-collectivites"
WAVE2 = "cnfs-2021-structures-privees"
CNFS_CALLS = f"{WAVE1},{WAVE2}"  # an ANCT reviewer's scope
# Valid SIRETs (SIREN + NIC, Luhn key checked by python-stdnum).
SIRET_COMMUNE_93 = "21930048000007"
SIRET_OTHER = "20005478100006"
SIRET_LA_POSTE = "35600000010000"  # valid only through La Poste's digit-sum exception


def complete_application(call_id: str = WAVE1, **changes: Any) -> dict[str, Any]:
    """A complete application as exchange-format JSON; changes use dotted paths."""
    call = get_call(call_id)
    public = call.audience == "public"
    data: dict[str, Any] = {
        "call_id": call_id,
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
            "contract_months": 24,
            "start_date": "2021-03-01",
            "salary_top_up": False,
            "places_of_activity": "Médiathèque Robert-Desnos ; mairie annexe",
            "candidate_identified": False,
            "consolidates_existing_posts": False,
            "coordinator_wanted": False,
        },
        "commitments": {cid: True for cid in call.commitment_ids()},
    }
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split(".")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return copy.deepcopy(data)


TODAY = dt.date(2021, 2, 10)

CD93 = "cd93-2021-numerique-inclusif"
CD93_TODAY = dt.date(2021, 6, 1)
SIRET_PARTNER = "78467169500087"


def attachment_ref(filename: str = "piece.pdf") -> dict[str, Any]:
    """An attachment as the exchange format references it (the file itself is stored apart)."""
    return {
        "filename": filename,
        "sha256": "0" * 64,
        "size": 48_213,
        "media_type": "application/pdf",
    }


def complete_project(**changes: Any) -> dict[str, Any]:
    """A complete, admissible Département 93 AMI project as exchange-format JSON."""
    call = get_call(CD93)
    data: dict[str, Any] = {
        "call_id": CD93,
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
            "targets": {
                "diagnosed": 250,
                "equipped": 200,
                "connected": 100,
                "oriented": 150,
                "certified": 100,
            },
            "budget_eur": 187_500,
            "coordination_budget_eur": 15_000,
            "prior_department_subsidy_2020": True,
        },
        "attachments": {
            "ept_support_letter": attachment_ref("lettre-ept.pdf"),
            "project_description": attachment_ref("description.pdf"),
            "budget": attachment_ref("budget.pdf"),
        },
        "commitments": {cid: True for cid in call.commitment_ids()},
    }
    for path, value in changes.items():
        target = data
        *parents, leaf = path.split(".")
        for key in parents:
            target = target[key]
        if value is _DELETE:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return copy.deepcopy(data)


_DELETE = object()
DELETE = _DELETE  # complete_project(**{"attachments.budget": DELETE})


def application(call_id: str = WAVE1, **changes: Any) -> Application:
    """complete_application() as a model."""
    return Application.model_validate(complete_application(call_id, **changes))


# Every optional answer given, with accents, typographic quotes and long texts: what the PDF
# tests and the PDF bench print.
RICH_ANSWERS: dict[str, Any] = {
    "structure.siret": "21930066900017",
    "structure.name": "Commune de L’Île-Saint-Œuf",
    "structure.commune": "Saint-Œuf-sur-Marne",
    "structure.address": "1 place de l’Hôtel de Ville, 93999 Saint-Œuf-sur-Marne",
    "structure.france_services": True,
    "structure.ess": "none",
    "structure.priority_programmes": ["Action cœur de ville", "Petites villes de demain"],
    "contact.name": "Marie-Noëlle Dupré",
    "contact.email": "mairie@saint-oeuf.example",
    "contact.phone": "01 23 45 67 89",
    "posts.count": 3,
    "posts.contract_months": 36,
    "posts.salary_top_up": True,
    "posts.places_of_activity": "Médiathèque Louise-Michel ; centre social « La Passerelle »",
    "posts.consolidates_existing_posts": True,
    "posts.consolidation_details": "Un médiateur à mi-temps dont le contrat s’achève en mars",
    "posts.coordinator_wanted": True,
    "posts.coordinator_count": 1,
    "posts.coordinator_justification": "Douze lieux de médiation à animer en réseau",
    "posts.coordinator_scope": "Les quatre quartiers prioritaires de la commune",
}


def rich_application(call_id: str = WAVE1, **changes: Any) -> Application:
    """A complete application with every optional answer given (RICH_ANSWERS, then changes)."""
    return application(call_id, **{**RICH_ANSWERS, **changes})


# The deposit's declaration, as the person who files gives it on step 5.
SIGNED = Declaration(
    signatory_name="Camille Martin", signatory_role="Maire adjointe", certified=True
)
