"""The questionnaire file: its pydantic models, and the checks that make a broken file stop the
start with a French message naming the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.calls import Call, CallFileError, read_yaml, validation_details
from core.questionnaire_texts import DERIVED, FILTERS, PLACEHOLDER, PREDICATES

Widget = Literal[
    "text", "long_text", "number", "yes_no", "choice", "multi", "date", "checkbox", "items", "file"
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Condition = dict[str, Any]  # {path or "call.<predicate>": expected value, or list of values}


class Notice(Strict):
    """A line shown at the top of a step when its condition holds."""

    text: str
    when: Condition = Field(default_factory=dict)


class Pending(Strict):
    """How the panel counts what is left on a step instead of naming each question."""

    singular: str
    plural: str


class Step(Strict):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    short: str  # for the step bar, where every step shares one line
    icon: str = ":material/edit_note:"  # in the menu
    intro: str | None = None
    pending: Pending | None = None
    notices: list[Notice] = Field(default_factory=list)
    kind: Literal["questions", "summary"] = "questions"


class Choices(Strict):
    """Where a choice's options come from: reference data, or a list in the call file."""

    reference: Literal["structure_types", "ess_statuses", "departments"] | None = None
    call: str | None = None  # attribute path in the call file, e.g. "contract.months"
    label: str | None = None  # how an option reads, e.g. "{value} mois"

    @model_validator(mode="after")
    def _one_source(self) -> Choices:
        if (self.reference is None) == (self.call is None):
            raise ValueError("indiquez soit « reference », soit « call »")
        return self


class ItemField(Strict):
    """One field of each row of a list-of-items question (a consortium partner's name…)."""

    key: str = Field(pattern=r"^[a-z_]+$")
    widget: Literal["text"] = "text"
    label: str
    required: bool = False


class Question(Strict):
    # section.answer, section.group.answer (project.targets.diagnosed), or section.{item.id}
    path: str = Field(pattern=r"^[a-z_]+(\.[a-z_][a-z0-9_]*){1,2}$|^[a-z_]+\.\{item\.[a-z_]+\}$")
    step: str
    section: str | None = None
    widget: Widget
    label: str
    column: str | None = None  # header in listings and exports, when shorter than the label
    placeholder: str | None = None
    help: str | list[str] | None = None  # segments; one whose value is missing is left out
    source: str | None = None  # the text the help quotes, printed « (Source : …) »
    help_as_caption: bool = False  # shown under the widget instead of behind « ? »
    required: bool = False
    asked_when: Condition = Field(default_factory=dict)
    choices: Choices | None = None
    radio: bool = False
    min: float | None = None
    max: float | None = None
    unit: Literal["eur"] | None = None  # a number shown as an amount (« 187 500 € »)
    lookup: Literal["legal_categories"] | None = None  # a code shown with its reference label
    display: Literal["siret", "phone"] | None = None  # shown grouped, stored as typed digits
    empty: str | None = None  # wording of an empty answer that means « none »
    each: Literal["call.commitments"] | None = None  # one question per element of the call
    # For list-of-items questions (consortium partners…) and files (supporting documents).
    fields: list[ItemField] = Field(default_factory=list)
    add_label: str = "Ajouter une ligne"
    min_items: int | None = None
    max_items: int | None = None
    accept: list[str] = Field(default_factory=list)  # file extensions, e.g. ["pdf"]
    max_size_mb: int | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Question:
        if self.widget in ("choice", "multi") and self.choices is None:
            raise ValueError("une question à choix doit indiquer « choices »")
        if self.widget == "items" and not self.fields:
            raise ValueError("une liste d'éléments doit indiquer ses « fields »")
        low, high = self.min_items, self.max_items
        if low is not None and high is not None and low > high:
            raise ValueError("min_items dépasse max_items")
        if ("{item." in self.path) != (self.each is not None):
            raise ValueError("« each » et un chemin « {item.…} » vont ensemble")
        return self


class DocumentSection(Strict):
    title: str
    questions: list[str] = Field(min_length=1)


class Questionnaire(Strict):
    kind: str
    version: str
    steps: list[Step] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)
    document: list[DocumentSection] = Field(min_length=1)

    def step_number(self, step_id: str) -> int:
        return [s.id for s in self.steps].index(step_id) + 1

    def step(self, number: int) -> Step:
        return self.steps[number - 1]


class QuestionnaireFileError(CallFileError):
    """A questionnaire that cannot be used; the message names the file and the key."""


def _check_template(text: str | None, where: str, *, each: bool) -> None:
    for match in PLACEHOLDER.finditer(text or ""):
        name, filter_name = match.group(1), match.group(2)
        head = name.partition(".")[0]
        known = (
            head == "call"
            or name in DERIVED
            or name == "value"
            or (each and (head == "item" or name == "number"))
        )
        if not known:
            raise ValueError(f"{where} : valeur inconnue « {{{name}}} »")
        if filter_name and filter_name not in FILTERS:
            raise ValueError(f"{where} : filtre inconnu « |{filter_name} »")


def _check_condition(condition: Condition, where: str, earlier: set[str]) -> None:
    for key in condition:
        head, _, name = key.partition(".")
        if head == "call":
            if name not in PREDICATES:
                raise ValueError(f"{where} : propriété d'appel inconnue « {key} »")
        elif key not in earlier:
            raise ValueError(f"{where} : « {key} » n'est pas une question posée avant celle-ci")


def _validate(questionnaire: Questionnaire) -> None:
    """Cross-checks pydantic cannot express; each error names the key at fault."""
    step_ids = [s.id for s in questionnaire.steps]
    if len(step_ids) != len(set(step_ids)):
        raise ValueError("steps : identifiants en double")
    for i, step in enumerate(questionnaire.steps):
        for j, notice in enumerate(step.notices):
            _check_condition(notice.when, f"steps.{i}.notices.{j}.when", set())
    seen: set[str] = set()
    for i, q in enumerate(questionnaire.questions):
        where = f"questions.{i}"
        if q.step not in step_ids:
            raise ValueError(f"{where}.step : étape inconnue « {q.step} »")
        if q.path in seen:
            raise ValueError(f"{where}.path : « {q.path} » est déjà posée")
        for key in ("label", "source", "placeholder"):
            _check_template(getattr(q, key), f"{where}.{key}", each=q.each is not None)
        helps = [q.help] if isinstance(q.help, str) else (q.help or [])
        for j, segment in enumerate(helps):
            _check_template(segment, f"{where}.help.{j}", each=q.each is not None)
        _check_condition(q.asked_when, f"{where}.asked_when", seen)
        if q.choices and q.choices.call and q.choices.call.split(".")[0] not in Call.model_fields:
            raise ValueError(f"{where}.choices.call : « {q.choices.call} » absent des appels")
        seen.add(q.path)
    placed: list[str] = [p for section in questionnaire.document for p in section.questions]
    for i, section in enumerate(questionnaire.document):
        for j, path in enumerate(section.questions):
            if path not in seen:
                raise ValueError(f"document.{i}.questions.{j} : question inconnue « {path} »")
    for path in seen:
        if placed.count(path) != 1:
            raise ValueError(f"document : « {path} » doit y figurer une fois")


def load_questionnaire_file(path: Path) -> Questionnaire:
    """Load and check one questionnaire; QuestionnaireFileError names the file and the key."""
    raw = read_yaml(path, QuestionnaireFileError)
    try:
        questionnaire = Questionnaire.model_validate(raw)
        _validate(questionnaire)
    except ValidationError as exc:
        raise QuestionnaireFileError(f"{path.name} : {validation_details(exc)}") from exc
    except ValueError as exc:
        raise QuestionnaireFileError(f"{path.name} : {exc}") from exc
    if questionnaire.kind != path.stem:
        raise QuestionnaireFileError(
            f"{path.name} : champ « kind » ({questionnaire.kind}) différent du nom du fichier"
        )
    return questionnaire
