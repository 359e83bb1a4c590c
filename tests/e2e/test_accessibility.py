"""axe-core on every step and reviewer page (no critical or serious violation of ours), and one
step filled and left with the keyboard alone."""

from __future__ import annotations

import re

import pytest

from tests.e2e import axe, ui

pytestmark = pytest.mark.e2e

STEPS = ["step_1_structure", "step_2_postes", "step_3_coordinateur", "step_4_engagements"]
STEPS.append("step_5_recapitulatif")


def check(page, shot, where: str) -> None:
    ui.wait_idle(page)
    shot(page, where)
    axe.assert_accessible(page, where)


def test_public_pages(page, demo_server, shot, axe_ready):
    ui.open_page(page, demo_server.url)
    check(page, shot, "connexion")
    ui.click(page, "Créer un compte", role="link")
    check(page, shot, "creer-un-compte")


def test_applicant_pages(page, demo_server, shot, axe_ready):
    ui.login(page, demo_server.url, "mairie@demo.cnfs.fr", "Mairie-demo-2021")
    check(page, shot, "accueil")
    ui.create_application(page, demo_server.url)
    dossier = re.search(r"dossier=(\d+)", page.url).group(1)
    for step in STEPS:
        ui.open_page(page, f"{demo_server.url}/{step}?dossier={dossier}")
        check(page, shot, step)
    ui.open_page(page, f"{demo_server.url}/account")
    check(page, shot, "mon-compte")


def test_reviewer_pages(page, demo_server, shot, axe_ready):
    ui.login(page, demo_server.url, "anct@demo.cnfs.fr", "Anct-demo-2021")
    check(page, shot, "tableau-de-bord")
    ui.click(page, "Candidatures", role="link")
    check(page, shot, "candidatures")
    ui.open_page(page, f"{demo_server.url}/reviewer_dossier?id=1")
    check(page, shot, "dossier")
    ui.click(page, "Fiche préfet", role="link")
    ui.select(page, "Département", "93 — Seine-Saint-Denis")
    check(page, shot, "fiche-prefet")


def _focused_label(page) -> str:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            if (!el) return '';
            const own = el.getAttribute('aria-label') || '';
            const labels = el.labels ? Array.from(el.labels).map(l => l.innerText) : [];
            // A button or link is named by its text; a focusable container (the main column
            // is one, for scrolling) holds every label of the page and is named by none.
            const named = el.matches('a, button, [role="button"], [role="link"]');
            return [own, ...labels, named ? el.innerText : ''].join(' | ');
        }"""
    )


def tab_to(page, text: str, limit: int = 80) -> None:
    """Press Tab until the focused element is labelled with this text."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if text in _focused_label(page):
            return
    raise AssertionError(f"« {text} » n'est pas atteignable au clavier en {limit} tabulations")


def test_a_step_with_the_keyboard_alone(page, demo_server, shot):
    ui.login(page, demo_server.url, "mairie@demo.cnfs.fr", "Mairie-demo-2021")
    ui.create_application(page, demo_server.url)
    page.locator("body").focus()
    tab_to(page, "Nom de la structure")
    page.keyboard.type("Commune de Clichy-sous-Bois")
    page.keyboard.press("Tab")  # leaving the field saves it
    ui.wait_idle(page)  # as a person pauses between two answers
    tab_to(page, "Commune")
    page.keyboard.type("Clichy-sous-Bois")
    page.keyboard.press("Enter")
    ui.wait_idle(page)
    shot(page, "etape-1-clavier")
    tab_to(page, "Étape suivante")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile("Étape 2")).wait_for()
    ui.wait_idle(page)
    shot(page, "etape-2-clavier")
    assert "Commune de Clichy-sous-Bois" in ui.main_text(page)  # header caption, saved
    tab_to(page, "Nombre de postes demandés")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    ui.wait_idle(page)
    tab_to(page, "Étape précédente")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=re.compile("Étape 1")).wait_for()
    ui.wait_idle(page)
    assert ui.field(page, "Commune").input_value() == "Clichy-sous-Bois"
