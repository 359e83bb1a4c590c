"""Reviewers scoped by call, in the browser: the Département 93's reviewer (demo account) logs
in, sees its call per territory and no CNFS dossier, even opened by its number; the ANCT
reviewer still sees them."""

from __future__ import annotations

import pytest

from tests.e2e import ui

pytestmark = pytest.mark.e2e

DEPARTEMENT = ("departement93@demo.cnfs.fr", "Departement-demo-2021")
ANCT = ("anct@demo.cnfs.fr", "Anct-demo-2021")


def test_departement_reviewer_sees_no_cnfs_dossier_while_anct_does(page, demo_server, shot):
    ui.open_page(page, demo_server.url)
    assert DEPARTEMENT[0] in ui.main_text(page)  # listed among the demo accounts
    ui.login(page, demo_server.url, *DEPARTEMENT)
    page.get_by_role("heading", name="Tableau de bord des candidatures").wait_for()
    shot(page, "departement-tableau-de-bord")
    board = ui.main_text(page)
    assert "Appel que vous instruisez : « Département de la Seine-Saint-Denis" in board
    assert "Territoire 6 : Plaine Commune" in board  # the table per territory
    assert "Postes demandés" not in board and "Montant demandé" not in board
    assert "Avis des préfets" not in board
    assert "empty" not in board  # no empty table left with Streamlit's English placeholder

    ui.click(page, "Candidatures", role="link")
    ui.wait_idle(page)
    shot(page, "departement-candidatures")
    assert "Commune de Saint-Denis" not in " ".join(ui.grid_texts(page))

    # A CNFS dossier opened by its address answers like a number nobody has.
    ui.open_page(page, f"{demo_server.url}/reviewer_dossier?id=1")
    page.get_by_text("Aucune candidature ne porte le n° 1.").wait_for()
    shot(page, "departement-dossier-1")
    assert "CNFS-2021" not in ui.main_text(page)

    # No prefect sheet in the menu; opened by its address, the page says why there is none.
    assert page.get_by_role("link", name="Fiche préfet").count() == 0
    ui.open_page(page, f"{demo_server.url}/reviewer_prefect")
    page.get_by_text("ne passe par l'avis des préfets").wait_for()
    shot(page, "departement-fiche-prefet")

    ui.click(page, "Se déconnecter")
    ui.login(page, demo_server.url, *ANCT)
    page.get_by_role("heading", name="Tableau de bord des candidatures").wait_for()
    assert "Appels que vous instruisez" in ui.main_text(page)
    shot(page, "anct-tableau-de-bord")
    ui.click(page, "Candidatures", role="link")
    ui.wait_idle(page)
    assert "Commune de Saint-Denis" in " ".join(ui.grid_texts(page))
    ui.open_page(page, f"{demo_server.url}/reviewer_dossier?id=1")
    page.get_by_role("heading", name="Dossier de candidature").wait_for()
    ui.wait_idle(page)
    assert "Aucune candidature ne porte" not in ui.main_text(page)
