"""Mail in a real browser, demo mode: nothing is sent, the demo shows the mails and their links."""

from __future__ import annotations

import re

import pytest

from tests.e2e import ui

pytestmark = pytest.mark.e2e

PASSWORD = "une-phrase-de-passe-2021"
NEW_PASSWORD = "un-autre-secret-2021"


def _open_link_from_demo_outbox(page, base: str, subject: str):
    """Open « Courriels (démonstration) » and follow the link of the newest mail."""
    ui.open_page(page, base)
    ui.click(page, "Courriels (démonstration)", role="link")
    mail = page.locator('[data-testid="stLayoutWrapper"]').filter(has_text=subject)
    with page.context.expect_page() as opened:
        mail.first.get_by_role("link", name=re.compile("Ouvrir le lien")).click()
    tab = opened.value
    ui.wait_idle(tab, settle_ms=800)
    return tab


def test_a_new_account_confirms_its_address_from_the_demo_outbox(page, demo_server, shot):
    base = demo_server.url
    ui.register(
        page, base, name="Inès Moreau", email="ines@mairie-aubervilliers.fr", password=PASSWORD
    )
    shot(page, "compte-cree")
    assert "Adresse électronique à confirmer" in ui.main_text(page)  # said on Accueil

    ui.create_application(page, base)
    ui.click(page, re.compile("^5. Récapitulatif"), role="link")
    shot(page, "etape-5-adresse-a-confirmer")
    assert "Adresse électronique à confirmer" in ui.main_text(page)
    assert page.get_by_role("button", name="Déposer la candidature").is_disabled()

    ui.click(page, "Courriels (démonstration)", role="link")
    shot(page, "courriels-demo")
    assert "Confirmez votre adresse électronique" in ui.main_text(page)
    tab = _open_link_from_demo_outbox(page, base, "Confirmez votre adresse")
    shot(tab, "adresse-confirmee")
    assert "ines@mairie-aubervilliers.fr est confirmée" in ui.main_text(tab)
    tab.close()

    ui.open_page(page, base)
    ui.click(page, "Mon compte", role="link")
    shot(page, "mon-compte-confirme")
    assert "Adresse électronique confirmée" in ui.main_text(page)


def test_a_forgotten_password_is_replaced_by_the_link(browser, demo_server, shot):
    base = demo_server.url
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1400})
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    try:
        ui.register(page, base, name="Hugo Petit", email="hugo@mairie-stains.fr", password=PASSWORD)
        ctx.clear_cookies()
        page = ctx.new_page()

        ui.open_page(page, base)
        ui.click(page, "Mot de passe oublié ?", role="link")
        ui.fill(page, "Adresse électronique du compte", "Hugo@Mairie-Stains.fr")
        ui.click(page, "Recevoir le lien")
        shot(page, "lien-demande")
        assert "Si un compte existe pour cette adresse" in ui.main_text(page)

        tab = _open_link_from_demo_outbox(page, base, "nouveau mot de passe")
        shot(tab, "nouveau-mot-de-passe")
        tab.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD)
        tab.get_by_label("Confirmez le nouveau mot de passe").fill(NEW_PASSWORD)
        ui.click(tab, "Changer le mot de passe")
        tab.get_by_text("Mot de passe changé").wait_for()
        shot(tab, "mot-de-passe-change")
        tab.close()

        ctx.clear_cookies()
        page = ctx.new_page()
        ui.login(page, base, "hugo@mairie-stains.fr", NEW_PASSWORD)
        assert "Hugo Petit" in page.locator('[data-testid="stSidebar"]').inner_text()
    finally:
        ctx.close()
