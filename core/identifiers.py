"""Identifiers as typed (SIRET, department, postcode, phone) compacted to ASCII, once, at the edge.

python-stdnum's compaction turns full-width and other look-alike digits and dashes into ASCII
and drops separators; what still is not plain ASCII digits afterwards is kept as typed, so the
rules refuse it with their French message (and the uniqueness index never sees a look-alike).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import ValidationInfo
from stdnum.util import clean

# Spaces of every kind people paste (no-break, narrow no-break, thin), dots, dashes, slashes.
_SEPARATORS = " .-/\t\u00a0\u2007\u2009\u202f"
_ASCII_DIGITS = re.compile(r"[0-9]+")
_DEPARTMENT = re.compile(r"[0-9]{1,3}|2[AB]")
_PHONE = re.compile(r"\+?[0-9]+")


def _compact(value: str, keep: re.Pattern[str], *, upper: bool = False) -> str:
    try:
        compacted = clean(value, _SEPARATORS + "()").strip()
    except Exception:  # stdnum raises its own InvalidFormat on odd input: keep it as typed
        return value.strip()
    if upper:
        compacted = compacted.upper()
    return compacted if keep.fullmatch(compacted) else value.strip()


def is_ascii_digits(value: str, length: int | None = None) -> bool:
    """Only 0-9 (str.isdigit() also accepts full-width, Arabic-Indic, superscript digits)."""
    return bool(_ASCII_DIGITS.fullmatch(value)) and (length is None or len(value) == length)


def compact_siret(value: str) -> str:
    """« 219 300 662 00018 », « ２１９３００６６２０００１８ » -> « 21930066200018 »."""
    return _compact(value, _ASCII_DIGITS)


def compact_postcode(value: str) -> str:
    """« 93 200 », « ９３２００ » -> « 93200 »."""
    return _compact(value, _ASCII_DIGITS)


def compact_department(value: str) -> str:
    """« ９３ » -> « 93 », « 2a » -> « 2A » (the reference table decides if it exists)."""
    return _compact(value, _DEPARTMENT, upper=True)


def compact_phone(value: str) -> str:
    """« 01 48 50 53 00 », « +33 (0)1… » with any digits -> ASCII digits and a leading +."""
    return _compact(value, _PHONE)


def compacting(function: Callable[[str], str]) -> Callable[[object, ValidationInfo], object]:
    """A pydantic BeforeValidator applying a compaction to strings only.

    A submitted snapshot is read back as stored (validation context {"snapshot": True}): its PDF
    must render the same bytes as at submission, spaces in the phone number included.
    """

    def validate(value: object, info: ValidationInfo) -> object:
        if info.context and info.context.get("snapshot"):
            return value
        return function(value) if isinstance(value, str) else value

    return validate
