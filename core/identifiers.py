"""One cleaner for identifiers typed by people, shared by the rules, storage and search."""

from __future__ import annotations

from stdnum.fr import siret as stdnum_siret


def compact_siret(value: str | None) -> str | None:
    """The SIRET without the spaces and dots people type ("219 300 662 00018"), or None."""
    if value is None:
        return None
    return stdnum_siret.compact(value) or None
