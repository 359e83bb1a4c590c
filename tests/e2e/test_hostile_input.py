"""Hostile input through the real UI: each gets a French message, nothing typed is lost, and
markup is shown as text, never run."""

from __future__ import annotations

import re

import pytest

from tests.e2e import ui

pytestmark = pytest.mark.e2e

PASSWORD = "hostile-input-2021"
# Each payload sets window.__pwned if the browser ever runs it.
XSS = (
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    " **gras** [lien](javascript:window.__pwned=3)"
)
STEP_1_TEXTS = [
    "Nom de la structure",
    "Catégorie juridique INSEE",
    "Commune",
    "Adresse",
    "Nom du contact",
    "Fonction du contact",
    "Courriel du contact",
    "Téléphone du contact",
]


@pytest.fixture(scope="module")
def applicant(browser, sqlite_server):
    """A registered applicant with one wave-1 draft: (browser storage state, step 1 URL)."""
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1400})
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    ui.register(
        page,
        sqlite_server.url,
        name="Mairie de Montreuil",
        email="dsi@montreuil.fr",
        password=PASSWORD,
    )
    ui.create_application(page, sqlite_server.url)
    state, url = ctx.storage_state(), page.url
    ctx.close()
    assert "dossier=" in url
    return state, url


@pytest.fixture
def step_page(browser, applicant):
    """A new tab, logged in by its cookie, on step 1 of the draft."""
    state, url = applicant
    ctx = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 1400}, storage_state=state
    )
    ctx.set_default_timeout(20_000)
    page = ctx.new_page()
    ui.open_page(page, url)
    page.get_by_role("heading", name=re.compile("Étape 1")).wait_for()
    yield page
    ctx.close()


def goto_step(page, step: int) -> None:
    url = re.sub(r"/step_\d_[a-z]+", "/" + STEP_SLUGS[step], page.url)
    ui.open_page(page, url)
    page.get_by_role("heading", name=re.compile(f"Étape {step}")).wait_for()


STEP_SLUGS = {
    1: "step_1_structure",
    2: "step_2_postes",
    3: "step_3_coordinateur",
    4: "step_4_engagements",
    5: "step_5_recapitulatif",
}


def reload(page) -> None:
    page.reload()
    ui.wait_idle(page, settle_ms=800)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("219 300 662 00018", None),  # spaces as printed on the SIRENE notice: accepted
        ("2193006620001A", "Le SIRET compte 14 chiffres"),
        ("21930066200019", "clé de contrôle incorrecte"),
        ("219300662", "Le SIRET compte 14 chiffres"),  # a SIREN is not a SIRET
    ],
    ids=["espaces", "lettre", "mauvaise-cle", "siren"],
)
def test_siret(step_page, shot, typed, message):
    ui.fill(step_page, "N° SIRET", typed)
    shot(step_page, "saisi")
    text = ui.main_text(step_page)
    if message is None:
        assert "Le SIRET compte" not in text and "clé de contrôle" not in text
    else:
        assert message in text
    reload(step_page)
    shot(step_page, "apres-rechargement")
    # Stored compacted to ASCII digits (core.identifiers); a refused SIRET is kept as typed.
    kept = "21930066200018" if message is None else typed
    assert ui.field(step_page, "N° SIRET").input_value() == kept
    if message is not None:
        assert message in ui.main_text(step_page)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Demandez au moins 1 poste."),
        ("100000", "au plus 200 postes par candidature"),
    ],
    ids=["zero", "cent-mille"],
)
def test_number_of_posts(step_page, shot, typed, message):
    goto_step(step_page, 2)
    ui.fill(step_page, "Nombre de postes demandés", typed)
    shot(step_page, "saisi")
    assert message in ui.main_text(step_page)
    reload(step_page)
    assert ui.field(step_page, "Nombre de postes demandés").input_value() == typed
    assert message in ui.main_text(step_page)


def test_markup_in_every_text_field_is_shown_as_text(step_page, shot):
    for label in STEP_1_TEXTS:
        ui.fill(step_page, label, f"{label} {XSS}")
    assert ui.js_pwned(step_page) is None
    shot(step_page, "etape-1")
    goto_step(step_page, 2)
    ui.choose_radio(step_page, "Consolidation de postes existants", "Oui")
    for label in ["Lieux d'activité", "Postes existants consolidés"]:
        ui.fill(step_page, label, f"{label} {XSS}")
    goto_step(step_page, 3)
    ui.choose_radio(step_page, "Demande de poste coordinateur", "Oui")
    for label in ["Justification du poste coordinateur", "Périmètre de coordination"]:
        ui.fill(step_page, label, f"{label} {XSS}")
    assert ui.js_pwned(step_page) is None

    # Every answer comes back on the summary, literally, with nothing run.
    goto_step(step_page, 5)
    for expander in step_page.locator('[data-testid="stExpander"] summary').all():
        expander.click()
    ui.wait_idle(step_page)
    shot(step_page, "recapitulatif")
    recap = ui.main_text(step_page)
    assert "Nom de la structure <script>window.__pwned=1</script>" in recap
    assert 'Adresse <script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">' in (
        recap
    )
    assert "**gras**" in recap  # markdown is not interpreted either
    assert step_page.locator('[data-testid="stMain"] img[src="x"]').count() == 0
    assert ui.js_pwned(step_page) is None

    # Reload: the answers are all still there.
    goto_step(step_page, 1)
    for label in STEP_1_TEXTS:
        assert ui.field(step_page, label).input_value() == f"{label} {XSS}"
    assert "Courriel" in ui.main_text(step_page)
    # The header shows the structure's name as text too; Accueil lists it.
    assert "Nom de la structure <script>" in ui.main_text(step_page)
    ui.click(step_page, "Accueil", role="link")
    shot(step_page, "accueil")
    assert "Nom de la structure <script>window.__pwned=1</script>" in ui.main_text(step_page)
    assert ui.js_pwned(step_page) is None


def test_ten_thousand_characters(step_page, shot):
    long_text = ("Médiathèque, maison de quartier ; " * 400)[:10_000]
    goto_step(step_page, 2)
    ui.fill(step_page, "Lieux d'activité", long_text)
    shot(step_page, "texte-long")
    reload(step_page)
    assert ui.field(step_page, "Lieux d'activité").input_value() == long_text.strip()


def test_ten_thousand_characters_in_a_one_line_field(step_page, shot):
    before = ui.field(step_page, "Adresse").input_value()
    ui.fill(step_page, "Adresse", "12 rue " + "x" * 9_993)
    shot(step_page, "adresse-longue")
    text = ui.main_text(step_page)
    assert ui.field(step_page, "Adresse").input_value() != before  # the paste is not dropped
    assert "accepte au plus 500 caractères" in text  # and the user is told the limit


def test_emoji_and_right_to_left_text(step_page, shot):
    name = "Mairie 🏛️ de Saint-Denis — بلدية سان دوني 👩🏽‍💻"
    ui.fill(step_page, "Nom de la structure", name)
    ui.fill(step_page, "Nom du contact", "שרה כהן")
    shot(step_page, "emoji-rtl")
    reload(step_page)
    assert ui.field(step_page, "Nom de la structure").input_value() == name
    assert ui.field(step_page, "Nom du contact").input_value() == "שרה כהן"
    assert name in ui.main_text(step_page)  # header caption
