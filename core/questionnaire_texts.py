"""What a questionnaire's texts and conditions may cite: values of the call file, values
computed from the call and the answers (DERIVED), and properties of the call (PREDICATES)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from core import reference
from core.calls import Call
from core.formatting import format_date_fr, format_eur
from core.models import Application, StructureType


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
    "date": format_date_fr,
}
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:\|([a-z]+))?\}")


def attribute(holder: Any, dotted: str) -> Any:
    """The value at a dotted path; in a list of the call, a name picks the element of that id."""
    for name in dotted.split("."):
        if holder is None:
            return None
        if isinstance(holder, Mapping):
            holder = holder.get(name)
        elif isinstance(holder, list | tuple):
            holder = next((x for x in holder if getattr(x, "id", None) == name), None)
        else:
            holder = getattr(holder, name, None)
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
            found = attribute(call, rest)
        elif head == "item":
            found = attribute(item, rest)
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
        return PLACEHOLDER.sub(lookup, template)
    except LookupError:
        return None
