"""Answers are stored without characters that would change how they read."""

from __future__ import annotations

import pytest

from core.models import Application, Structure


@pytest.mark.parametrize(
    "control", ["\u202e", "\u202d", "\u202a", "\u202b", "\u202c", "\u2066", "\u2067", "\u2069"]
)
def test_bidirectional_overrides_are_stripped_from_answers(control):
    assert Structure(name=f"Mairie{control}gpj.exe").name == "Mairiegpj.exe"


def test_the_right_to_left_override_is_stripped_from_imported_json():
    raw = {
        "structure": {"name": "Commune de \u202eeuqilbuper"},
        "posts": {"places_of_activity": "\u202eA"},
    }
    application = Application.model_validate(raw)
    assert application.structure.name == "Commune de euqilbuper"
    assert application.posts.places_of_activity == "A"


def test_arabic_or_hebrew_text_itself_is_kept():
    assert Structure(name="Association مرحبا שלום").name == "Association مرحبا שלום"
