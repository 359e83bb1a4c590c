"""Calls for applications are data: one YAML file per call, validated when loaded."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.formatting import format_eur, format_int
from core.models import StructureType
from core.reference import SAFE_LOADER

CALLS_DIR = Path(__file__).parent / "data" / "calls"


class CallFileError(Exception):
    """A call file that cannot be used; the message names the file and the field."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(Strict):
    value: int | None
    source: str


class EligibleType(Strict):
    legal_basis: str
    sources: list[str] = Field(min_length=1)
    requires_ess: bool = False  # private structures that must prove their ESS membership


class Redirect(Strict):
    """Guidance for a structure type the call does not fund: what to do instead."""

    message: str
    sources: list[str] = Field(min_length=1)


class AmountPerPost(Strict):
    value: int = Field(gt=0)
    is_ceiling: bool = False  # the call states a maximum, the convention sets the final figure
    note: str | None = None
    funded_months: int = Field(gt=0)
    source: str


class OverseasUplift(Strict):
    """Uplift for overseas territories; when percent is None no figure is invented."""

    percent: float | None = None
    departments: list[str]
    label_when_unset: str
    source: str


class PostsRule(Strict):
    min: int = Field(ge=1)
    max: int = Field(ge=1)
    source: str


class ContractDurations(Strict):
    months: list[int] = Field(min_length=1)
    convention_max_months: int
    source: str


class TrancheRule(Strict):
    percent: int = Field(gt=0, le=100)
    months_after_signature: int = Field(ge=0)
    label: str


class Review(Strict):
    """Rolling review on a fixed day each month; submissions on or after it go to the next one."""

    day_of_month: int = Field(ge=1, le=28)
    source: str


class Commitment(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    text: str
    source: str


class TerritorialAgreement(Strict):
    id: str
    title: str
    department: str
    max_posts: int
    max_eur: int
    signed_on: dt.date
    valid_months: int | None = None
    message: str
    source: str


class PriorityProgrammes(Strict):
    """Territorial programmes the prefects favour, offered as a multiple choice."""

    names: list[str] = Field(min_length=1)
    source: str


class DepositDeclaration(Strict):
    """What the person who files certifies, on screen before the deposit and in the PDF."""

    name_label: str
    role_label: str
    text: str
    source: str


class AfterSubmission(Strict):
    """What the applicant does once the application is submitted, and whom to ask."""

    text: str
    contact_email: str
    source: str


class OptionalRequest(Strict):
    """A request the call allows but examines specially (coordinator, consolidation)."""

    allowed: bool = True
    message: str
    source: str


class ConsultationList(Strict):
    """One list sent to the prefects: the applications submitted up to a date, and when the
    prefects' opinions on it are due (after that date, opinions on it can no longer change)."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    title: str
    submitted_until: dt.date  # Paris date, included
    opinions_until: dt.date  # Paris date, included
    source: str


class PrefectConsultation(Strict):
    """The prefects give an opinion on every submitted application of their department."""

    lists: list[ConsultationList] = Field(min_length=1)
    later_lists_note: str  # applications submitted after the last dated list
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> PrefectConsultation:
        dates = [x.submitted_until for x in self.lists]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("lists : les listes doivent être rangées par date d'arrêt")
        if any(x.opinions_until < x.submitted_until for x in self.lists):
            raise ValueError("lists : opinions_until antérieure à submitted_until")
        return self


class Option(Strict):
    """One choice the call offers (a territory, a target public), with its source."""

    id: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    label: str
    source: str | None = None


class Envelope(Strict):
    """A budget shared equally between territories: each project asks at most one share."""

    total_eur: int = Field(gt=0)
    shares: int = Field(ge=1)
    source: str

    @property
    def share_eur(self) -> int:
        return self.total_eur // self.shares


class TargetRule(Strict):
    """A figure the project commits to reach; below an approximate minimum, only a notice."""

    id: Literal["diagnosed", "equipped", "connected", "oriented", "certified"]
    label: str
    minimum: int = Field(ge=0)
    approximate: bool = False  # « environ 150 »
    quote: str  # the seed's own words, quoted in the reason
    source: str


class DatedRule(Strict):
    date: dt.date
    quote: str | None = None  # the call's own words for this date, quoted in the reason
    source: str


class ProjectRules(Strict):
    """The timetable, consortium and budget rules of a territorial project call."""

    start_from: DatedRule  # a start before this date is refused
    diagnoses_by: DatedRule  # every diagnosis done by this date
    min_partners: int = Field(ge=0)
    consortium_source: str
    coordination_source: str
    answers_note: str  # when the applicants hear back


class AttachmentSpec(Strict):
    """A document the applicant joins: its label and source. Whether and when it is asked is
    its question's, in the call kind's questionnaire."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    source: str


class Call(Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    version: str
    kind: str
    title: str
    short_title: str
    opens_on: dt.date
    closes_on: dt.date | None = None
    closing_note: str | None = None
    sources: list[str]
    audience: Literal["public", "private", "mixed"]
    who_may_apply: str | None = None  # one plain-French line for the call's card
    eligible_structure_types: dict[StructureType, EligibleType]
    redirects: dict[StructureType, Redirect] = Field(default_factory=dict)
    default_redirect: Redirect
    # Calls funding salaried posts (CNFS): amounts per post, posts, contracts, tranches, review.
    amount_per_post: AmountPerPost | None = None
    overseas_uplift: OverseasUplift | None = None
    posts: PostsRule | None = None
    contract: ContractDurations | None = None
    tranches: list[TrancheRule] = Field(default_factory=list)
    review: Review | None = None
    # Calls funding one territorial project per territory (Département 93 AMI).
    territories: list[Option] = Field(default_factory=list)
    envelope: Envelope | None = None
    targets: list[TargetRule] = Field(default_factory=list)
    target_publics: list[Option] = Field(default_factory=list)
    prescribers: list[Option] = Field(default_factory=list)
    project: ProjectRules | None = None
    attachments: list[AttachmentSpec] = Field(default_factory=list)
    document_kicker: str = "Dossier de candidature — structure d'accueil"  # above the PDF's title
    running_title: str = "Candidature CNFS"  # at the top of each page of a draft's PDF
    dossier_prefix: str = Field(default="CNFS", pattern=r"^[A-Z0-9]{2,8}$")  # « CD93-2021-000042 »
    # The answer that, with the SIRET, makes an application unique in the call (territory…).
    unique_per: Literal["project.territory"] | None = None
    commitments_version: str
    commitments: list[Commitment] = Field(min_length=1)
    territorial_agreements: list[TerritorialAgreement] = Field(default_factory=list)
    after_submission: AfterSubmission | None = None
    declaration: DepositDeclaration
    france_services_notice: Redirect | None = None  # said to structures holding a France Services
    priority_programmes: PriorityProgrammes | None = None
    coordinator: OptionalRequest | None = None
    consolidation: OptionalRequest | None = None
    prefect_consultation: PrefectConsultation | None = None
    # Sample answers the form's placeholders quote (« Ex. : {call.examples.contact_role} »),
    # so each call suggests what its own applicants would write.
    examples: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _coherent(self) -> Call:
        if self.tranches and sum(t.percent for t in self.tranches) != 100:
            raise ValueError("tranches : la somme des pourcentages doit faire 100")
        if (self.amount_per_post is None) != (self.posts is None):
            raise ValueError("amount_per_post et posts vont ensemble")
        if self.amount_per_post is not None and not self.tranches:
            raise ValueError("tranches : un appel qui finance des postes indique ses tranches")
        for name in ("attachments", "targets", "territories", "target_publics", "prescribers"):
            item_ids = [x.id for x in getattr(self, name)]
            if len(item_ids) != len(set(item_ids)):
                raise ValueError(f"{name} : identifiants en double")
        ids = [c.id for c in self.commitments]
        if len(ids) != len(set(ids)):
            raise ValueError("commitments : identifiants en double")
        if self.posts and self.posts.min > self.posts.max:
            raise ValueError("posts : min dépasse max")
        if self.closes_on and self.closes_on < self.opens_on:
            raise ValueError("closes_on : antérieure à opens_on")
        return self

    def is_open(self, today: dt.date) -> bool:
        return self.opens_on <= today and (self.closes_on is None or today <= self.closes_on)

    def commitment_ids(self) -> list[str]:
        return [c.id for c in self.commitments]

    def option_label(self, list_name: str, option_id: str) -> str | None:
        """The label of one option of a list of the call (territories, target publics…)."""
        for option in getattr(self, list_name, None) or []:
            if isinstance(option, Option) and option.id == option_id:
                return option.label
        return None


# A text of the call may quote the call's own figures instead of repeating them in prose:
# « {amount_per_post.value|eur} », and inside a territorial agreement « {agreement.max_eur|eur} ».
_QUOTE = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:\|([a-z]+))?\}")
_FORMATS = {"eur": format_eur, "int": format_int}


def _quote(text: str, roots: dict[str, object], where: str) -> str:
    def value(match: re.Match[str]) -> str:
        name, fmt = match.group(1), match.group(2)
        head, _, rest = name.partition(".")
        found, parts = (roots[head], rest) if head in roots else (roots["call"], name)
        for part in parts.split("."):
            found = found.get(part) if isinstance(found, dict) else getattr(found, part, None)
        if found is None or (fmt is not None and fmt not in _FORMATS):
            raise CallFileError(f"champ « {where} » : valeur inconnue « {match.group(0)} »")
        return _FORMATS[fmt](found) if fmt else str(found)

    return _QUOTE.sub(value, text)


def _quote_values(raw: object, roots: dict[str, object], where: str = "") -> object:
    """The raw call with every quoted figure filled in (agreements quote their own figures)."""
    if isinstance(raw, str):
        return _quote(raw, roots, where) if "{" in raw else raw
    if isinstance(raw, list):
        key = "agreement" if where == "territorial_agreements" else None
        return [
            _quote_values(item, {**roots, key: item} if key else roots, f"{where}.{i}")
            for i, item in enumerate(raw)
        ]
    if isinstance(raw, dict):
        return {
            k: _quote_values(v, roots, f"{where}.{k}" if where else str(k)) for k, v in raw.items()
        }
    return raw


def validation_details(exc: ValidationError) -> str:
    """Pydantic's errors in French, each naming the key at fault."""
    return "; ".join(
        f"champ « {'.'.join(str(p) for p in err['loc']) or '(racine)'} » : {err['msg']}"
        for err in exc.errors()
    )


def read_yaml(path: Path, error: type[CallFileError] = CallFileError) -> Any:
    """The YAML of a data file; an unreadable one raises `error`, naming the file."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"{path.name} : fichier illisible ({exc})") from exc


def load_call_file(path: Path) -> Call:
    """Load one call file; a broken file raises CallFileError naming file and field."""
    raw = read_yaml(path)
    try:
        call = Call.model_validate(raw)
        call = Call.model_validate(_quote_values(raw, {"call": raw}))
    except CallFileError as exc:
        raise CallFileError(f"{path.name} : {exc}") from exc
    except ValidationError as exc:
        raise CallFileError(f"{path.name} : {validation_details(exc)}") from exc
    if call.id != path.stem:
        raise CallFileError(f"{path.name} : champ « id » ({call.id}) différent du nom du fichier")
    return call


def load_calls(directory: Path | None = None) -> dict[str, Call]:
    """All calls of a directory (default: the shipped calls), by id, sorted by opening date."""
    return _load_calls(directory or CALLS_DIR)


@functools.cache
def _load_calls(directory: Path) -> dict[str, Call]:
    calls = [load_call_file(p) for p in sorted(directory.glob("*.yaml"))]
    return {c.id: c for c in sorted(calls, key=lambda c: (c.opens_on, c.id))}


def clear_cache() -> None:
    """Forget loaded calls (tests that point CALLS_DIR at edited copies)."""
    _load_calls.cache_clear()


def get_call(call_id: str) -> Call:
    try:
        return load_calls()[call_id]
    except KeyError:
        raise KeyError(f"Appel inconnu : {call_id}") from None
