"""Builders of complete applications for tests and benchmarks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core import samples
from core.calls import AttachmentSpec
from core.models import Application, Declaration
from core.samples import DELETE as DELETE  # complete_project(**{"attachments.budget": DELETE})
from core.samples import SIRET_COMMUNE_93 as SIRET_COMMUNE_93
from core.samples import SIRET_OTHER as SIRET_OTHER
from core.samples import SIRET_PARTNER as SIRET_PARTNER

WAVE1 = "cnfs-2020-collectivites"
WAVE2 = "cnfs-2021-structures-privees"
CNFS_CALLS = f"{WAVE1},{WAVE2}"  # an ANCT reviewer's scope
SIRET_LA_POSTE = "35600000010000"  # valid only through La Poste's digit-sum exception


def complete_application(call_id: str = WAVE1, **changes: Any) -> dict[str, Any]:
    """A complete application as exchange-format JSON (core.samples); changes use dotted paths."""
    return samples.answers(call_id, **changes)


TODAY = dt.date(2021, 2, 10)

CD93 = "cd93-2021-numerique-inclusif"
CD93_TODAY = dt.date(2021, 6, 1)


def attachment_ref(filename: str = "piece.pdf") -> dict[str, Any]:
    """An attachment as the exchange format references it (the file itself is stored apart)."""
    return samples.placeholder_attachment(filename)


# The names the tests' documents go by, per attachment of the call.
_FILENAMES = {
    "ept_support_letter": "lettre-ept.pdf",
    "project_description": "description.pdf",
    "budget": "budget.pdf",
}


def _document(spec: AttachmentSpec) -> dict[str, Any]:
    return attachment_ref(_FILENAMES.get(spec.id, f"{spec.id}.pdf"))


def complete_project(**changes: Any) -> dict[str, Any]:
    """A complete, admissible Département 93 AMI project as exchange-format JSON (core.samples);
    complete_project(**{"attachments.budget": DELETE}) leaves an answer out."""
    return samples.answers(CD93, attach=_document, **changes)


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
