"""Form fields in form order, with their French label and the step that asks them."""

from __future__ import annotations

from typing import NamedTuple


class FieldInfo(NamedTuple):
    path: str
    label: str
    step: int


STEP_TITLES = {
    1: "Structure",
    2: "Postes",
    3: "Poste coordinateur",
    4: "Engagements",
    5: "Récapitulatif et dépôt",
}

# For the step bar, where five titles share one line.
STEP_SHORT_TITLES = {**STEP_TITLES, 3: "Coordinateur", 5: "Dépôt"}

FIELDS: tuple[FieldInfo, ...] = (
    FieldInfo("structure.siret", "N° SIRET", 1),
    FieldInfo("structure.name", "Nom de la structure", 1),
    FieldInfo("structure.structure_type", "Type de structure", 1),
    FieldInfo("structure.legal_category", "Catégorie juridique INSEE", 1),
    FieldInfo("structure.ess", "Appartenance à l'économie sociale et solidaire", 1),
    FieldInfo("structure.department", "Département", 1),
    FieldInfo("structure.commune", "Commune", 1),
    FieldInfo("structure.address", "Adresse", 1),
    FieldInfo("structure.france_services", "Portage d'une France Services", 1),
    FieldInfo("structure.qpv", "Quartier prioritaire de la politique de la ville (QPV)", 1),
    FieldInfo("structure.priority_programmes", "Programmes prioritaires", 1),
    FieldInfo("contact.name", "Nom du contact", 1),
    FieldInfo("contact.role", "Fonction du contact", 1),
    FieldInfo("contact.email", "Courriel du contact", 1),
    FieldInfo("contact.phone", "Téléphone du contact", 1),
    FieldInfo("posts.count", "Nombre de postes demandés", 2),
    FieldInfo("posts.contract_months", "Durée du contrat", 2),
    FieldInfo("posts.start_date", "Date de démarrage souhaitée", 2),
    FieldInfo("posts.salary_top_up", "Complément de rémunération", 2),
    FieldInfo("posts.places_of_activity", "Lieux d'activité", 2),
    FieldInfo("posts.candidate_identified", "Candidat déjà identifié", 2),
    FieldInfo("posts.consolidates_existing_posts", "Consolidation de postes existants", 2),
    FieldInfo("posts.consolidation_details", "Postes existants consolidés", 2),
    FieldInfo("posts.coordinator_wanted", "Demande de poste coordinateur", 3),
    FieldInfo("posts.coordinator_count", "Nombre de postes coordinateurs", 3),
    FieldInfo("posts.coordinator_justification", "Justification du poste coordinateur", 3),
    FieldInfo("posts.coordinator_scope", "Périmètre de coordination", 3),
)

_BY_PATH = {f.path: f for f in FIELDS}
_ORDER = {f.path: i for i, f in enumerate(FIELDS)}
COMMITMENTS_STEP = 4


def field_info(path: str) -> FieldInfo:
    """Label and step of a field path; commitments are 'commitments.<id>'."""
    if path in _BY_PATH:
        return _BY_PATH[path]
    if path.startswith("commitments."):
        return FieldInfo(path, f"Engagement « {path.split('.', 1)[1]} »", COMMITMENTS_STEP)
    return FieldInfo(path, path, 1)


def form_order(path: str) -> int:
    """Sort key placing a field path where the form asks it."""
    return _ORDER.get(path, len(_ORDER) + (0 if path.startswith("commitments.") else 1))
