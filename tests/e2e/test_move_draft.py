"""An association that started in wave 1 moves its draft to the wave for private structures in
one click from Accueil, and is told which answers were kept."""

from __future__ import annotations

import re

import pytest

from tests.e2e import ui

pytestmark = pytest.mark.e2e

WAVE1 = "CNFS — collectivités (vague 1)"
WAVE2 = "CNFS — structures privées (vague 2)"


def test_an_association_moves_its_wave1_draft_to_wave2(page, demo_server, shot):
    ui.login(page, demo_server.url, "asso@demo.cnfs.fr", "Asso-demo-2021")
    ui.create_application(page, demo_server.url, WAVE1)
    number = re.search(r"dossier=(\d+)", page.url).group(1)
    ui.fill(page, "Nom de la structure", "Association Pantin Numérique")
    ui.select(page, "Type de structure", "Association")
    assert "Non éligible" in ui.panel_status(page)
    ui.click(page, "Accueil", role="link")
    shot(page, "proposition")

    button = page.locator(f".st-key-move-{number}-cnfs-2021-structures-privees button")
    assert f"Déplacer vers « {WAVE2} »" in button.inner_text()
    button.click()
    ui.wait_idle(page)
    shot(page, "deplacee")
    text = ui.main_text(page)
    assert f"La candidature n° {number} est déplacée vers « {WAVE2} »." in text
    assert "Toutes vos réponses sont reprises." in text
    # Its card now names the new call.
    assert re.search(
        rf"Association Pantin Numérique — candidature n° {number}\s+{re.escape(WAVE2)}", text
    )

    ui.open_page(page, f"{demo_server.url}/step_1_structure?dossier={number}")
    page.get_by_role("heading", name=re.compile("Étape 1")).wait_for()
    ui.wait_idle(page)
    shot(page, "etape-1-vague-2")
    assert ui.field(page, "Nom de la structure").input_value() == "Association Pantin Numérique"
    assert "Non éligible" not in ui.panel_status(page)
