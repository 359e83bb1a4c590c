"""A session ended elsewhere ends everywhere at once, downloads included: two browsers, two
instances on one PostgreSQL database; the second logs out, the first tab's download gives
nothing and shows the login."""

from __future__ import annotations

import pytest

from tests.e2e import ui
from tests.e2e.server import StreamlitServer
from tests.review_data import BROWSER_REVIEWER, make_application, reviewer_and_applicant

pytestmark = pytest.mark.e2e

REVIEWER = BROWSER_REVIEWER
CSV = "Télécharger en CSV"


def _seed(database_url: str) -> None:
    """A reviewer and one submitted application, so that the listing has a row to export."""
    with reviewer_and_applicant(database_url) as (session, owner):
        make_application(session, owner, 1)


def _reviewer_page(browser, base_url: str):
    ctx = browser.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 1400}, accept_downloads=True
    )
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    ui.login(page, base_url, *REVIEWER)
    ui.click(page, "Candidatures", role="link")
    page.get_by_role("button", name=CSV).wait_for()
    ui.wait_idle(page)
    return ctx, page


@pytest.mark.postgres
def test_logout_in_another_browser_stops_the_open_tabs_download(
    browser, postgres_url, tmp_path, shot
):
    _seed(postgres_url)
    first = StreamlitServer(database_url=postgres_url, data_dir=tmp_path / "a")
    second = StreamlitServer(database_url=postgres_url, data_dir=tmp_path / "b")
    second.cookie_key = first.cookie_key
    contexts = []
    try:
        first.start()
        second.start()
        office_ctx, office = _reviewer_page(browser, first.url)
        home_ctx, home = _reviewer_page(browser, second.url)
        contexts += [office_ctx, home_ctx]

        # While both logins hold, the open tab downloads the listing.
        with office.expect_download() as info:
            office.get_by_role("button", name=CSV).click()
        assert b"SIRET" in info.value.path().read_bytes()
        ui.wait_idle(office)
        shot(office, "liste-telechargeable")

        # The same person logs out on the other browser, served by the other instance.
        ui.click(home, "Se déconnecter")
        home.get_by_role("button", name="Se connecter").wait_for()

        downloads = []
        office.on("download", lambda download: downloads.append(download))
        office.get_by_role("button", name=CSV).click()
        office.wait_for_timeout(5_000)  # the first download took well under a second
        assert downloads == []
        # The click also reran the page: its login gate saw the ended session.
        office.get_by_role("button", name="Se connecter").wait_for()
        ui.wait_idle(office)
        shot(office, "session-terminee-connexion")
        assert "Votre session a pris fin" in ui.main_text(office)
    finally:
        for ctx in contexts:
            ctx.close()
        first.stop()
        second.stop()
