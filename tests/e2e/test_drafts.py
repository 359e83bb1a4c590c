"""Drafts the user controls, in the browser: delete with a confirmation, restore from Accueil."""

from __future__ import annotations

import re

import pytest

from tests.e2e import ui

pytestmark = pytest.mark.e2e


def _button(page, key: str):
    """The button Streamlit renders for a widget key (its container carries st-key-<key>)."""
    return page.locator(f".st-key-{key} button")


def test_delete_a_draft_then_restore_it(page, demo_server, shot):
    ui.login(page, demo_server.url, "mairie@demo.cnfs.fr", "Mairie-demo-2021")
    ui.create_application(page, demo_server.url)
    number = re.search(r"dossier=(\d+)", page.url).group(1)
    ui.fill(page, "Nom de la structure", "Mairie de Pantin (brouillon à supprimer)")
    ui.click(page, "Accueil", role="link")

    _button(page, f"delete-{number}").click()
    ui.wait_idle(page)
    shot(page, "confirmation")
    assert f"Supprimer la candidature n° {number} ?" in ui.main_text(page)
    ui.click(page, "Confirmer la suppression")
    shot(page, "supprimee")
    text = ui.main_text(page)
    assert f"La candidature n° {number} est supprimée." in text
    assert "Candidatures supprimées" in text and "restaurable jusqu'au" in text

    _button(page, f"restore-{number}").click()
    ui.wait_idle(page)
    shot(page, "restauree")
    text = ui.main_text(page)
    assert f"La candidature n° {number} est restaurée." in text
    assert "Candidatures supprimées" not in text
    assert "Mairie de Pantin (brouillon à supprimer)" in text
