"""Reference tables: INSEE legal categories, departments and the EPT of the Grand Paris.

The data lives in core/data/*.yaml, each file with its source; it is loaded once and validated.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from core.models import StructureType

DATA_DIR = Path(__file__).parent / "data"
LEGAL_CATEGORIES_FILE = DATA_DIR / "legal_categories.yaml"
DEPARTMENTS_FILE = DATA_DIR / "departments.yaml"
EPT_FILE = DATA_DIR / "ept.yaml"
STRUCTURE_TYPES_FILE = DATA_DIR / "structure_types.yaml"

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class LegalCategory(BaseModel):
    """An INSEE catégorie juridique (niveau III) and the structure types it may denote."""

    model_config = _FROZEN

    code: str = Field(pattern=r"^\d{4}$")
    label: str = Field(min_length=1)
    structure_types: frozenset[StructureType]
    public: bool


class Department(BaseModel):
    """A department (or an overseas collectivity) with its INSEE code and region."""

    model_config = _FROZEN

    code: str = Field(pattern=r"^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-8]|98[6-8])$")
    name: str = Field(min_length=1)
    region: str = Field(min_length=1)
    overseas_kind: Literal["none", "drom", "com"]

    @property
    def overseas(self) -> bool:
        """True for the DROM and the COM, where the overseas rules apply."""
        return self.overseas_kind != "none"


class Ept(BaseModel):
    """An établissement public territorial of the Métropole du Grand Paris."""

    model_config = _FROZEN

    code: str = Field(pattern=r"^T([2-9]|1[0-2])$")
    name: str = Field(min_length=1)
    departments: list[str] = Field(min_length=1)


# libyaml's parser when PyYAML has it (its wheels do): the call files parse in 21 ms instead of
# 168, and that is part of a visitor's first page after a server start.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path, key: str) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=SAFE_LOADER)[key]  # noqa: S506 (a safe loader)


def _department_sort_key(code: str) -> tuple[int, str]:
    # "2A" and "2B" sit where 20 would be, between "19" and "21".
    if code in ("2A", "2B"):
        return (20, code[1])
    return (int(code), "")


@functools.cache
def legal_categories() -> dict[str, LegalCategory]:
    """Every known legal category, by code."""
    categories = [LegalCategory(**row) for row in _load_yaml(LEGAL_CATEGORIES_FILE, "categories")]
    by_code = {category.code: category for category in categories}
    if len(by_code) != len(categories):
        raise ValueError(f"{LEGAL_CATEGORIES_FILE.name}: a code is listed twice")
    return by_code


def legal_category(code: str) -> LegalCategory | None:
    """The legal category with this 4-digit code, or None when it is unknown."""
    return legal_categories().get(code.strip())


def categories_for_structure_type(t: StructureType) -> list[LegalCategory]:
    """The legal categories that may denote this structure type, sorted by code."""
    return sorted(
        (c for c in legal_categories().values() if t in c.structure_types),
        key=lambda c: c.code,
    )


def is_compatible(structure_type: StructureType, code: str) -> bool | None:
    """Whether the legal category may denote the type; None when the code is unknown."""
    category = legal_category(code)
    if category is None:
        return None
    if structure_type == StructureType.OTHER:
        return True
    return structure_type in category.structure_types


@functools.cache
def _departments_by_code() -> dict[str, Department]:
    rows = [Department(**row) for row in _load_yaml(DEPARTMENTS_FILE, "departments")]
    by_code = {d.code: d for d in sorted(rows, key=lambda d: _department_sort_key(d.code))}
    if len(by_code) != len(rows):
        raise ValueError(f"{DEPARTMENTS_FILE.name}: a code is listed twice")
    return by_code


def departments() -> list[Department]:
    """Every department and overseas collectivity, in code order (01…19, 2A, 2B, 21…95, 971…)."""
    return list(_departments_by_code().values())


def department(code: str) -> Department | None:
    """The department with exactly this code (spaces stripped, "2a" read as "2A"), or None."""
    return _departments_by_code().get(code.strip().upper())


def normalize_department(code: str) -> str:
    """Strip and uppercase a department code, zero-padding a single digit ("1" -> "01")."""
    cleaned = code.strip().upper()
    if re.fullmatch(r"\d", cleaned):
        return f"0{cleaned}"
    return cleaned


def _collation_key(text: str) -> tuple[str, str]:
    # Sort "Île-de-France" with the I, not after Z.
    stripped = unicodedata.normalize("NFKD", text)
    base = "".join(ch for ch in stripped if not unicodedata.combining(ch))
    return (base.casefold(), text)


def regions() -> list[str]:
    """The distinct region names of departments(), in alphabetical order, accents ignored."""
    return sorted({d.region for d in departments()}, key=_collation_key)


@functools.cache
def _epts() -> tuple[Ept, ...]:
    return tuple(Ept(**row) for row in _load_yaml(EPT_FILE, "epts"))


def epts() -> list[Ept]:
    """The 11 EPT of the Métropole du Grand Paris, T2 to T12."""
    return list(_epts())


class StructureTypeClass(BaseModel):
    """How a structure type is classed: prefect's list (A public, B private), ESS by status."""

    model_config = _FROZEN

    prefect_list: Literal["A", "B"] | None  # None: the INSEE legal category decides
    ess_by_status: bool = False


@functools.cache
def structure_type_classes() -> dict[StructureType, StructureTypeClass]:
    """The class of every structure type (data/structure_types.yaml); each type is listed."""
    rows = _load_yaml(STRUCTURE_TYPES_FILE, "structure_types")
    classes = {StructureType(k): StructureTypeClass(**v) for k, v in rows.items()}
    absent = set(StructureType) - set(classes)
    if absent:
        raise ValueError(f"{STRUCTURE_TYPES_FILE.name}: types absents {sorted(absent)}")
    return classes


@functools.cache
def ess_by_status() -> frozenset[StructureType]:
    """Private structures that belong to the ESS by their very status (loi n° 2014-856 art. 1)."""
    return frozenset(t for t, c in structure_type_classes().items() if c.ess_by_status)
