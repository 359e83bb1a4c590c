"""Pydantic models of an application (drafts may leave any answer missing) and of a verdict."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from core import identifiers

# Control characters (but tab and line breaks), lone surrogates and non-characters: they cannot
# be stored as UTF-8, written to XLSX/XML or printed, and nobody types them on purpose.
# Bidirectional overrides and isolates (U+202A-202E, U+2066-2069) are stripped too: they make
# « gpj.exe » read « exe.jpg » on screen, in the PDF and in exports.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def clean_text(value: object) -> object:
    """The text without characters that cannot be stored, exported or printed."""
    return _UNPRINTABLE.sub("", value) if isinstance(value, str) else value


ShortText = Annotated[str, StringConstraints(max_length=500), BeforeValidator(clean_text)]
# Identifiers are compacted to ASCII digits as they enter the model (form, JSON, CLI alike).
SiretText = Annotated[ShortText, BeforeValidator(identifiers.compacting(identifiers.compact_siret))]
DepartmentText = Annotated[
    ShortText, BeforeValidator(identifiers.compacting(identifiers.compact_department))
]
PhoneText = Annotated[ShortText, BeforeValidator(identifiers.compacting(identifiers.compact_phone))]
# Validation context for a submitted snapshot read back: its answers stay exactly as stored.
SNAPSHOT = {"snapshot": True}
LongText = Annotated[str, StringConstraints(max_length=20_000), BeforeValidator(clean_text)]


class StructureType(StrEnum):
    """Plain vocabulary of host structures; each call maps the eligible ones to a legal basis."""

    COMMUNE = "commune"
    DEPARTEMENT = "departement"
    REGION = "region"
    COLLECTIVITE_STATUT_PARTICULIER = "collectivite_statut_particulier"
    COLLECTIVITE_OUTRE_MER = "collectivite_outre_mer"
    METROPOLE_DE_LYON = "metropole_de_lyon"
    METROPOLE_DU_GRAND_PARIS = "metropole_du_grand_paris"
    EPT = "ept"
    METROPOLE = "metropole"
    COMMUNAUTE_URBAINE = "communaute_urbaine"
    COMMUNAUTE_AGGLOMERATION = "communaute_agglomeration"
    COMMUNAUTE_DE_COMMUNES = "communaute_de_communes"
    SYNDICAT_DE_COMMUNES = "syndicat_de_communes"
    SYNDICAT_MIXTE_FERME = "syndicat_mixte_ferme"
    SYNDICAT_MIXTE_OUVERT = "syndicat_mixte_ouvert"
    POLE_METROPOLITAIN = "pole_metropolitain"
    PETR = "petr"
    AGENCE_DEPARTEMENTALE = "agence_departementale"
    INSTITUTION_INTERDEPARTEMENTALE = "institution_interdepartementale"
    ENTENTE_INTERREGIONALE = "entente_interregionale"
    CCAS = "ccas"
    CIAS = "cias"
    AUTRE_ETABLISSEMENT_PUBLIC_RATTACHE = "autre_etablissement_public_rattache"
    ASSOCIATION = "association"
    FONDATION = "fondation"
    STRUCTURE_ESS = "structure_ess"
    COMPANY = "company"
    OTHER = "other"


class EssStatus(StrEnum):
    """How a private structure belongs to the social and solidarity economy (loi n° 2014-856)."""

    BY_STATUS = "by_status"  # association, fondation, coopérative, mutuelle
    ESUS_AGREMENT = "esus_agrement"  # agrément « entreprise solidaire d'utilité sociale »
    COMMERCIAL_ESS = "commercial_ess"  # société commerciale de l'ESS (art. 1, II)
    NONE = "none"


class Draft(BaseModel):
    """Base for every part of a draft: unknown keys are kept out, blanks are allowed."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, validate_assignment=True)


class Structure(Draft):
    siret: SiretText | None = None
    name: ShortText | None = None
    structure_type: StructureType | None = None
    legal_category: ShortText | None = Field(
        default=None, description="Catégorie juridique INSEE, niveau III (4 chiffres)"
    )
    department: DepartmentText | None = Field(
        default=None, description='"01"…"95", "2A", "2B", "971"…"976", ou code de COM'
    )
    commune: ShortText | None = None
    address: ShortText | None = None
    france_services: bool | None = None
    qpv: bool | None = None
    ess: EssStatus | None = None
    priority_programmes: list[ShortText] = Field(
        default_factory=list,
        description="Programmes prioritaires (Action cœur de ville, Petites villes de demain…)",
    )


class Contact(Draft):
    name: ShortText | None = None
    role: ShortText | None = None
    email: ShortText | None = None
    phone: PhoneText | None = None


class Posts(Draft):
    count: int | None = None
    contract_months: int | None = None
    start_date: dt.date | None = None
    salary_top_up: bool | None = None
    places_of_activity: LongText | None = None
    candidate_identified: bool | None = None
    consolidates_existing_posts: bool | None = None
    consolidation_details: LongText | None = None
    coordinator_wanted: bool | None = None
    coordinator_count: int | None = None
    coordinator_justification: LongText | None = None
    coordinator_scope: LongText | None = None


class Declaration(Draft):
    """Who files the application and their certification, given at the deposit (step 5)."""

    signatory_name: ShortText | None = None
    signatory_role: ShortText | None = None
    certified: bool = False
    certified_at: dt.datetime | None = None


class AttachmentRef(Draft):
    filename: ShortText
    sha256: str
    size: int
    media_type: str


class Application(Draft):
    """An application, complete or not. Its JSON is the project's exchange format."""

    call_id: ShortText | None = None
    structure: Structure = Field(default_factory=Structure)
    contact: Contact = Field(default_factory=Contact)
    posts: Posts = Field(default_factory=Posts)
    commitments: dict[str, bool] = Field(default_factory=dict)
    attachments: dict[str, AttachmentRef] = Field(default_factory=dict)
    declaration: Declaration = Field(default_factory=Declaration)


class Status(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    TO_EXAMINE = "to_examine"
    INCOMPLETE = "incomplete"


STATUS_LABELS_FR = {
    Status.ELIGIBLE: "Éligible",
    Status.INELIGIBLE: "Non éligible",
    Status.TO_EXAMINE: "À examiner",
    Status.INCOMPLETE: "Incomplet",
}


class Effect(StrEnum):
    """What a reason does to the status; precedence ineligible > incomplete > to_examine."""

    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"
    TO_EXAMINE = "to_examine"
    INFO = "info"


class Reason(BaseModel):
    code: str  # "structure.type_not_eligible"
    message: str  # French, says what to do next
    sources: list[str] = Field(default_factory=list)  # ["AMI collectivités §II.2"]
    effect: Effect = Effect.INFO
    field: str | None = None  # the form field the reason is about, for links


class Tranche(BaseModel):
    percent: int
    amount_eur: int | None
    months_after_signature: int


class Verdict(BaseModel):
    status: Status
    reasons: list[Reason] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    subsidy_eur: int | None = None
    subsidy_note: str | None = None
    tranches: list[Tranche] = Field(default_factory=list)
    review_date: dt.date | None = None
    flags: list[str] = Field(default_factory=list)

    def public_dict(self) -> dict:
        """The verdict as the CLI and exports print it."""
        return self.model_dump(mode="json")
