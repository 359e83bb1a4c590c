"""What a person types is kept without Enter or Tab: « Chaque réponse est enregistrée dès que
vous la saisissez » is true of a text being typed when the page is reloaded."""

from __future__ import annotations

import re

import pytest

from tests.e2e import ui

pytestmark = pytest.mark.e2e


def _reload(page) -> None:
    page.reload()
    ui.wait_idle(page, settle_ms=500)


def test_text_typed_without_enter_survives_a_reload(page, demo_server, shot):
    ui.login(page, demo_server.url, "mairie@demo.cnfs.fr", "Mairie-demo-2021")
    ui.create_application(page, demo_server.url)
    dossier = re.search(r"dossier=(\d+)", page.url).group(1)

    commune = ui.field(page, "Commune")
    commune.click()
    page.keyboard.type("Saint-Étienne-du-Rouvray", delay=40)  # no Enter, no Tab
    page.wait_for_timeout(2_500)  # the person stops typing; about 2 s later it is saved
    ui.wait_idle(page)
    _reload(page)
    shot(page, "etape-1-rechargee")
    assert ui.field(page, "Commune").input_value() == "Saint-Étienne-du-Rouvray"

    ui.open_page(page, f"{demo_server.url}/step_2_postes?dossier={dossier}")
    places = ui.field(page, "Lieux d'activité")
    places.click()
    page.keyboard.type("Médiathèque Aimé-Césaire,\nmaison France Services", delay=30)
    page.wait_for_timeout(2_500)
    ui.wait_idle(page)
    _reload(page)
    shot(page, "etape-2-rechargee")
    assert ui.field(page, "Lieux d'activité").input_value() == (
        "Médiathèque Aimé-Césaire,\nmaison France Services"
    )


def test_login_form_is_not_submitted_while_typing(page, demo_server):
    # The login form is a st.form: Enter would submit it, so nothing is applied for the user.
    ui.open_page(page, demo_server.url)
    page.get_by_label("Adresse électronique").type("mairie@demo.cnfs.fr")
    page.get_by_label("Mot de passe", exact=True).type("Mairie-demo-2021")
    page.wait_for_timeout(2_500)
    ui.wait_idle(page)
    assert page.get_by_role("button", name="Se déconnecter").count() == 0
    assert page.get_by_role("button", name="Se connecter").is_visible()
