"""The French text of each mail, from core/data/mails/<kind>.txt (first line: the subject)."""

from __future__ import annotations

import functools
from pathlib import Path
from string import Template

MAILS_DIR = Path(__file__).parent / "data" / "mails"
SIGNATURE = (
    "— Le portail de candidature Conseillers numériques France Services\n"
    "Message automatique : merci de ne pas y répondre."
)


@functools.cache
def _template(kind: str) -> tuple[Template, Template]:
    subject, _, body = (MAILS_DIR / f"{kind}.txt").read_text(encoding="utf-8").partition("\n")
    return Template(subject.strip()), Template(body)


def render(kind: str, **values: str) -> tuple[str, str]:
    """(subject, body) of a mail; KeyError if a placeholder has no value."""
    subject, body = _template(kind)
    values = {"signature": SIGNATURE, **values}
    return subject.substitute(values), body.substitute(values)
