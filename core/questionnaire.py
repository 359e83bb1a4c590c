"""Questionnaires are data: one YAML file per kind of call (data/questionnaires/<kind>.yaml).

Each question carries its path in the exchange format, label, help with its source, widget,
step and section, whether it is required and when it is asked. `applicable()` says which
questions apply to an answer set under a call; the form, the rules' missing list, the panel,
the recap, the PDF, the reviewer's dossier and the exports all iterate it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core import reference
from core.calls import Call, CallFileError
from core.formatting import (
    ESS_STATUS_LABELS_FR,
    NOT_ANSWERED,
    STRUCTURE_TYPE_LABELS_FR,
    format_bool_fr,
    format_date_fr,
    format_eur,
)
from core.models import Application, EssStatus, StructureType

QUESTIONNAIRES_DIR = Path(__file__).parent / "data" / "questionnaires"

Widget = Literal[
    "text", "long_text", "number", "yes_no", "choice", "multi", "date", "checkbox", "items", "file"
]
ACCEPTED, NOT_ACCEPTED = "Accepté", "Non accepté"


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


class Question(Strict):
    path: str = Field(pattern=r"^[a-z_]+\.([a-z_]+|\{item\.[a-z_]+\})$")
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
    lookup: Literal["legal_categories"] | None = None  # a code shown with its reference label
    empty: str | None = None  # wording of an empty answer that means « none »
    each: Literal["call.commitments"] | None = None  # one question per element of the call
    # For list-of-items questions (consortium partners…) and files (supporting documents).
    fields: list[Question] = Field(default_factory=list)
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


# --- what texts and conditions may cite --------------------------------------------------------


def asks_ess(call: Call, structure_type: StructureType | None) -> bool:
    """Whether the ESS question applies: private types the call funds only when they are ESS."""
    if structure_type is None or structure_type in reference.ess_by_status():
        return False
    eligible = call.eligible_structure_types.get(structure_type)
    return eligible is not None and eligible.requires_ess


# Properties of the call for an answer set, usable as « call.<name> » in asked_when.
PREDICATES: dict[str, Callable[[Application, Call], bool]] = {
    "asks_ess": lambda app, call: asks_ess(call, app.structure.structure_type),
    "offers_coordinator": lambda app, call: call.coordinator is not None,
    "offers_consolidation": lambda app, call: call.consolidation is not None,
}


def _sources(sources: Iterable[str]) -> str | None:
    return " ; ".join(dict.fromkeys(sources)) or None


def _eligible_type_sources(call: Call, app: Application) -> str | None:
    return _sources(t.sources[0] for t in call.eligible_structure_types.values() if t.sources)


def _ess_sources(call: Call, app: Application) -> str | None:
    stype = app.structure.structure_type
    eligible = call.eligible_structure_types.get(stype) if stype else None
    return _sources(eligible.sources) if eligible else None


def _legal_categories_for_type(call: Call, app: Application) -> str | None:
    stype = app.structure.structure_type
    codes = reference.categories_for_structure_type(stype)[:6] if stype else []
    return ", ".join(f"{c.code} ({c.label})" for c in codes) or None


def _amount_per_post(call: Call, app: Application) -> str:
    amount = call.amount_per_post
    return ("au plus " if amount.is_ceiling else "") + format_eur(amount.value)


# Values computed from the call (and the answers) that help texts may cite by name.
DERIVED: dict[str, Callable[[Call, Application], str | None]] = {
    "eligible_type_sources": _eligible_type_sources,
    "ess_sources": _ess_sources,
    "legal_categories_for_type": _legal_categories_for_type,
    "amount_per_post": _amount_per_post,
}
FILTERS: dict[str, Callable[[Any], str]] = {
    "eur": lambda v: format_eur(int(v)),
    "or": lambda v: " ou ".join(str(x) for x in v),
}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:\|([a-z]+))?\}")
_MISSING = object()


def _attribute(holder: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        if holder is None:
            return None
        holder = holder.get(name) if isinstance(holder, Mapping) else getattr(holder, name, None)
    return holder


def render(
    template: str | None,
    call: Call,
    app: Application | None = None,
    *,
    item: Any = None,
    number: int | None = None,
    value: Any = None,
) -> str | None:
    """A text of the questionnaire with its values filled in; None when one of them is missing."""
    if template is None:
        return None
    if "{" not in template:
        return template
    app = app or Application()

    def lookup(match: re.Match[str]) -> str:
        name, filter_name = match.group(1), match.group(2)
        head, _, rest = name.partition(".")
        if head == "call":
            found = _attribute(call, rest)
        elif head == "item":
            found = _attribute(item, rest)
        elif name == "number":
            found = number
        elif name == "value":
            found = value
        else:
            found = DERIVED[name](call, app)
        if found is None:
            raise LookupError(name)
        return FILTERS[filter_name](found) if filter_name else str(found)

    try:
        return _PLACEHOLDER.sub(lookup, template)
    except LookupError:
        return None


# --- loading and validation ------------------------------------------------------------------


class QuestionnaireFileError(CallFileError):
    """A questionnaire that cannot be used; the message names the file and the key."""


def _check_template(text: str | None, where: str, *, each: bool) -> None:
    for match in _PLACEHOLDER.finditer(text or ""):
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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionnaireFileError(f"{path.name} : fichier illisible ({exc})") from exc
    try:
        questionnaire = Questionnaire.model_validate(raw)
        _validate(questionnaire)
    except ValidationError as exc:
        details = "; ".join(
            f"champ « {'.'.join(str(p) for p in err['loc']) or '(racine)'} » : {err['msg']}"
            for err in exc.errors()
        )
        raise QuestionnaireFileError(f"{path.name} : {details}") from exc
    except ValueError as exc:
        raise QuestionnaireFileError(f"{path.name} : {exc}") from exc
    if questionnaire.kind != path.stem:
        raise QuestionnaireFileError(
            f"{path.name} : champ « kind » ({questionnaire.kind}) différent du nom du fichier"
        )
    return questionnaire


@functools.cache
def _load(directory: Path, kind: str) -> Questionnaire:
    path = directory / f"{kind}.yaml"
    if not path.exists():
        raise QuestionnaireFileError(f"{path.name} : questionnaire introuvable pour « {kind} »")
    return load_questionnaire_file(path)


def questionnaire_for(call: Call) -> Questionnaire:
    """The questionnaire of a call's kind."""
    return _load(QUESTIONNAIRES_DIR, call.kind)


def check_all() -> None:
    """Load every call and its questionnaire: a broken file raises, naming the file and key."""
    from core.calls import load_calls

    for call in load_calls().values():
        questionnaire_for(call)
        questions(call)


def clear_cache() -> None:
    """Forget loaded questionnaires and their expansions (tests that edit the files)."""
    _load.cache_clear()
    _expanded.clear()


# --- the questions of one call ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FormQuestion:
    """A question as a call asks it: list questions (commitments) expanded, texts filled in."""

    path: str
    step: int
    label: str
    question: Question
    item: Any = None
    number: int | None = None

    @property
    def widget(self) -> Widget:
        return self.question.widget

    @property
    def column(self) -> str:
        return self.question.column or self.label


_expanded: dict[int, tuple[Call, Questionnaire, tuple[FormQuestion, ...], dict[str, int]]] = {}


def _expand(call: Call) -> tuple[Questionnaire, tuple[FormQuestion, ...], dict[str, int]]:
    cached = _expanded.get(id(call))
    questionnaire = questionnaire_for(call)
    if cached is not None and cached[0] is call and cached[1] is questionnaire:
        return cached[1], cached[2], cached[3]
    result: list[FormQuestion] = []
    for q in questionnaire.questions:
        step = questionnaire.step_number(q.step)
        if q.each is None:
            result.append(FormQuestion(q.path, step, render(q.label, call) or q.label, q))
            continue
        for number, item in enumerate(_attribute(call, q.each.partition(".")[2]) or [], 1):
            path = render(q.path, call, item=item, number=number) or q.path
            label = render(q.label, call, item=item, number=number) or q.label
            result.append(FormQuestion(path, step, label, q, item, number))
    questions = tuple(result)
    order = {fq.path: i for i, fq in enumerate(questions)}
    if len(_expanded) > 256:  # calls built on the fly (tests): keep the cache small
        _expanded.clear()
    _expanded[id(call)] = (call, questionnaire, questions, order)
    return questionnaire, questions, order


def questions(call: Call) -> tuple[FormQuestion, ...]:
    """Every question of the call, in form order, whether it applies or not."""
    return _expand(call)[1]


def question(call: Call, path: str) -> FormQuestion | None:
    _, all_questions, order = _expand(call)
    index = order.get(path)
    return all_questions[index] if index is not None else None


def form_order(call: Call) -> Callable[[str], int]:
    """Sort key placing a path where the form asks it (unknown paths last)."""
    order = _expand(call)[2]
    return lambda path: order.get(path, len(order))


@functools.cache
def _getter(path: str) -> Callable[[Application], Any]:
    """A fast reader of one answer (the rules call it for every question of every verdict)."""
    section, _, leaf = path.partition(".")
    if section in Application.model_fields and section != "call_id":
        if Application.model_fields[section].annotation in (dict[str, bool], "dict[str, bool]"):
            return lambda app: getattr(app, section).get(leaf)
        read = operator.attrgetter(path)

        def get(app: Application) -> Any:
            try:
                return read(app)
            except AttributeError:
                return None

        return get
    return lambda app: None


def value_at(application: Application, path: str) -> Any:
    """The answer at a dotted path ("structure.siret", "commitments.<id>")."""
    return _getter(path)(application)


def holds(condition: Condition, application: Application, call: Call) -> bool:
    """Whether every clause of a declarative condition is true."""
    for key, expected in condition.items():
        if key.startswith("call."):
            actual: Any = PREDICATES[key[5:]](application, call)
        else:
            actual = _getter(key)(application)
        if isinstance(expected, list):
            if actual not in expected:
                return False
        elif actual != expected:
            return False
    return True


def applicable(application: Application, call: Call) -> list[FormQuestion]:
    """The questions asked of this answer set under this call, in form order."""
    return [
        q
        for q in questions(call)
        if not q.question.asked_when or holds(q.question.asked_when, application, call)
    ]


def is_blank(question: FormQuestion, value: Any) -> bool:
    """An unanswered question; a checkbox (commitment) counts only once ticked."""
    if question.widget == "checkbox":
        return value is not True
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def missing(application: Application, call: Call) -> list[str]:
    """Required questions that apply and have no answer, in form order."""
    result = []
    for q in questions(call):
        template = q.question
        if not template.required:
            continue
        if template.asked_when and not holds(template.asked_when, application, call):
            continue
        if is_blank(q, _getter(q.path)(application)):
            result.append(q.path)
    return result


def steps(call: Call) -> list[Step]:
    return questionnaire_for(call).steps


def step_title(call: Call, number: int) -> str:
    return questionnaire_for(call).step(number).title


def step_of(call: Call, path: str | None) -> int:
    """The step that asks a path (the first step for paths no question holds)."""
    found = question(call, path) if path else None
    return found.step if found else 1


def label_of(call: Call, path: str) -> str:
    found = question(call, path)
    return found.label if found else path


def help_text(question: FormQuestion, call: Call, application: Application) -> str | None:
    """Help shown beside a question, quoting the call's sources where they answer it."""
    q = question.question
    segments = [q.help] if isinstance(q.help, str) else (q.help or [])
    kwargs = {"item": question.item, "number": question.number}
    texts = [t for t in (render(s, call, application, **kwargs) for s in segments) if t]
    if not texts:
        return None
    text = " ".join(texts)
    source = render(q.source, call, application, **kwargs)
    return f"{text} (Source : {source})" if source else text


def placeholder(question: FormQuestion, call: Call) -> str | None:
    return render(question.question.placeholder, call)


def notices(call: Call, number: int, application: Application) -> list[str]:
    step = questionnaire_for(call).step(number)
    return [n.text for n in step.notices if holds(n.when, application, call)]


# --- choices and answers in French -----------------------------------------------------------


def structure_type_choices(call: Call) -> list[StructureType]:
    """Every structure type, those the call funds first: others are choosable, to be told why."""
    funded = [t for t in StructureType if t in call.eligible_structure_types]
    return funded + [t for t in StructureType if t not in call.eligible_structure_types]


@functools.cache
def _department_labels() -> dict[str, str]:
    return {d.code: f"{d.code} — {d.name}" for d in reference.departments()}


def options(question: FormQuestion, call: Call) -> list[Any]:
    """The options of a choice, in the order they are offered."""
    choices = question.question.choices
    if choices is None:
        return []
    if choices.reference == "structure_types":
        return structure_type_choices(call)
    if choices.reference == "ess_statuses":
        return list(EssStatus)
    if choices.reference == "departments":
        return list(_department_labels())
    return list(_attribute(call, choices.call or "") or [])


def option_label(question: FormQuestion, call: Call, value: Any) -> str:
    """How one option reads, in the form and wherever the answer is shown."""
    choices = question.question.choices
    reference_name = choices.reference if choices else None
    if reference_name == "structure_types":
        return STRUCTURE_TYPE_LABELS_FR.get(value, str(value))
    if reference_name == "ess_statuses":
        return ESS_STATUS_LABELS_FR.get(value, str(value))
    if reference_name == "departments":
        return _department_labels().get(value, str(value))
    if choices and choices.label:
        return render(choices.label, call, value=value) or str(value)
    return str(value)


def answer_text(question: FormQuestion, call: Call, value: Any) -> str:
    """An answer in French, the same words on every screen, document and export."""
    widget = question.widget
    if widget == "checkbox":
        return ACCEPTED if value is True else NOT_ACCEPTED
    if value is None or value == [] or value == "":
        return question.question.empty or NOT_ANSWERED
    if widget == "choice":
        return option_label(question, call, value)
    if question.question.lookup == "legal_categories":
        category = reference.legal_category(value)
        return f"{value} — {category.label}" if category else str(value)
    if isinstance(value, bool):
        return format_bool_fr(value)
    if isinstance(value, dt.date):
        return format_date_fr(value)
    if isinstance(value, list):
        return " ; ".join(option_label(question, call, v) for v in value)
    return str(value)


class Answer(BaseModel):
    """One answer as the recap, the dossier and the document show it (plain text, escape it)."""

    model_config = ConfigDict(frozen=True)

    step: int
    path: str
    label: str
    text: str


def answers(application: Application, call: Call) -> list[Answer]:
    """Every applicable answer in form order, in French."""
    return [
        Answer(
            step=q.step,
            path=q.path,
            label=q.label,
            text=answer_text(q, call, value_at(application, q.path)),
        )
        for q in applicable(application, call)
    ]


def document(application: Application, call: Call) -> list[tuple[str, list[FormQuestion]]]:
    """The document's sections with their questions: those asked, and any answered anyway."""
    asked = {q.path for q in applicable(application, call)}
    by_template: dict[str, list[FormQuestion]] = {}
    for q in questions(call):
        by_template.setdefault(q.question.path, []).append(q)
    result = []
    for section in questionnaire_for(call).document:
        shown = [
            q
            for template_path in section.questions
            for q in by_template[template_path]
            if q.path in asked or not is_blank(q, value_at(application, q.path))
        ]
        result.append((section.title, shown))
    return result
