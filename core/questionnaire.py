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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from core import reference
from core.calls import Call, Option
from core.formatting import (
    DISPLAY_FORMATS,
    ESS_STATUS_LABELS_FR,
    NOT_ANSWERED,
    STRUCTURE_TYPE_LABELS_FR,
    describe_attachment,
    format_bool_fr,
    format_date_fr,
    format_eur,
    format_size_fr,
)
from core.models import Application, AttachmentRef, EssStatus, StructureType
from core.questionnaire_file import (
    Condition,
    Question,
    Questionnaire,
    QuestionnaireFileError,
    Step,
    Widget,
    load_questionnaire_file,
)
from core.questionnaire_texts import PREDICATES, asks_ess, attribute, render

__all__ = ["QuestionnaireFileError", "asks_ess", "load_questionnaire_file", "render"]
QUESTIONNAIRES_DIR = Path(__file__).parent / "data" / "questionnaires"
ACCEPTED, NOT_ACCEPTED = "Accepté", "Non accepté"


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
        for number, item in enumerate(attribute(call, q.each.partition(".")[2]) or [], 1):
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
    section, _, rest = path.partition(".")
    if section not in Application.model_fields or section == "call_id":
        return lambda app: None
    names = rest.split(".")
    if len(names) == 1 and section != "attachments":
        read = operator.attrgetter(path)
        if Application.model_fields[section].annotation in (dict[str, bool], "dict[str, bool]"):
            return lambda app: getattr(app, section).get(rest)

        def get(app: Application) -> Any:
            try:
                return read(app)
            except AttributeError:
                return None

        return get

    def walk(app: Application) -> Any:
        found: Any = getattr(app, section)
        for name in names:
            if found is None:
                return None
            found = found.get(name) if isinstance(found, dict) else getattr(found, name, None)
        return found

    return walk


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


def asked(application: Application, call: Call, path: str) -> bool:
    """Whether the call's questionnaire asks this question of this answer set."""
    q = question(call, path)
    return q is not None and (
        not q.question.asked_when or holds(q.question.asked_when, application, call)
    )


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
    found = list(attribute(call, choices.call or "") or [])
    # A list of the call's options (territories, publics): the answer is the option's id.
    return [x.id if isinstance(x, Option) else x for x in found]


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
    if choices and choices.call:
        return call.option_label(choices.call, str(value)) or str(value)
    return str(value)


def answer_text(question: FormQuestion, call: Call, value: Any, *, formatted: bool = True) -> str:
    """An answer in French, the same words on every screen, document and export; SIRETs and
    phone numbers grouped for reading unless `formatted` is False (stored documents, sheets)."""
    widget = question.widget
    if widget == "checkbox":
        return ACCEPTED if value is True else NOT_ACCEPTED
    if value is None or value == [] or value == "":
        return question.question.empty or NOT_ANSWERED
    if widget == "file":
        return describe_attachment(value) if isinstance(value, AttachmentRef) else str(value)
    if widget == "choice":
        return option_label(question, call, value)
    if widget == "items":
        return " ; ".join(item_text(question, row) for row in value)
    if isinstance(value, AttachmentRef):
        return attachment_text(value)
    if question.question.lookup == "legal_categories":
        category = reference.legal_category(value)
        return f"{value} — {category.label}" if category else str(value)
    if question.question.unit == "eur" and isinstance(value, int):
        return format_eur(value)
    if isinstance(value, bool):
        return format_bool_fr(value)
    if isinstance(value, dt.date):
        return format_date_fr(value)
    if isinstance(value, list):
        return " ; ".join(option_label(question, call, v) for v in value)
    if formatted and question.question.display and isinstance(value, str):
        return DISPLAY_FORMATS[question.question.display](value)
    return str(value)


def item_text(question: FormQuestion, row: Any) -> str:
    """One row of a list-of-items answer: its fields' values, in the questionnaire's order."""
    values = [
        row.get(f.key) if isinstance(row, dict) else getattr(row, f.key, None)
        for f in question.question.fields
    ]
    return " — ".join(str(v) for v in values if v not in (None, "")) or NOT_ANSWERED


def attachment_text(ref: AttachmentRef) -> str:
    """A joined file as every view names it: name, size and fingerprint."""
    return f"{ref.filename} ({format_size_fr(ref.size)}, SHA-256 {ref.sha256})"


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


def document(
    application: Application, call: Call, *, answered_anyway: bool = False
) -> list[tuple[str, list[FormQuestion]]]:
    """The document's sections with the questions asked, as the recap shows them.

    answered_anyway also keeps answers a question no longer asked still holds (a coordinator's
    details after « Non »): only documents filed before that rule, re-rendered as stored."""
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
            if q.path in asked
            or (answered_anyway and not is_blank(q, value_at(application, q.path)))
        ]
        result.append((section.title, shown))
    return result
