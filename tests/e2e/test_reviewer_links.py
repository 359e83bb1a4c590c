"""An applicant's text is never a live link on the reviewer's dossier page."""

from __future__ import annotations

import pytest

from tests.e2e import ui
from tests.e2e.server import StreamlitServer
from tests.review_data import BROWSER_REVIEWER, make_application, reviewer_and_applicant

pytestmark = pytest.mark.e2e

REVIEWER = BROWSER_REVIEWER
TRAP = "https://exemple.invalid/piege"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("cnfs-links")
    url = f"sqlite:///{(data_dir / 'cnfs.sqlite3').as_posix()}"
    with reviewer_and_applicant(url) as (session, owner):
        application_id = make_application(
            session,
            owner,
            1,
            **{
                "structure.name": f"Mairie {TRAP}",
                "structure.address": f"www.exemple.invalid {TRAP}",
                "posts.places_of_activity": f"Voir {TRAP} et [ici]({TRAP})",
                "contact.email": "dgs@ville-bondy.fr",
            },
        )
    instance = StreamlitServer(database_url=url, data_dir=data_dir).start()
    instance.application_id = application_id
    yield instance
    instance.stop()


def test_no_applicant_text_is_a_link_on_the_dossier(page, server, shot):
    ui.login(page, server.url, *REVIEWER)
    ui.open_page(page, f"{server.url}/reviewer_dossier?id={server.application_id}")
    page.get_by_role("heading", name="Dossier de candidature").wait_for()
    ui.wait_idle(page)
    shot(page, "dossier-sans-lien")
    assert TRAP in page.content() or "exemple.invalid" in ui.main_text(page)
    links = page.locator('[data-testid="stMain"] a[href*="exemple.invalid"]')
    assert links.count() == 0, [links.nth(i).get_attribute("href") for i in range(links.count())]


def _registration_answer(browser, base_url: str, email: str) -> str:
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1400})
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    try:
        ui.open_page(page, base_url)
        ui.click(page, "Créer un compte", role="link")
        page.get_by_label("Nom et prénom").fill("Camille Martin")
        page.get_by_label("Adresse électronique professionnelle").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill("cheval-agrafe-batterie-7")
        page.get_by_label("Confirmez le mot de passe").fill("cheval-agrafe-batterie-7")
        ui.click(page, "Créer mon compte")
        answer = page.get_by_text("Demande enregistrée.")
        answer.wait_for()
        return answer.inner_text()
    finally:
        ctx.close()


def test_registration_says_the_same_whoever_has_the_address(browser, server, shot):
    taken = _registration_answer(browser, server.url, "dgs@ville-bondy.fr")
    fresh = _registration_answer(browser, server.url, "nouvelle@mairie-bondy.fr")
    assert taken == fresh
