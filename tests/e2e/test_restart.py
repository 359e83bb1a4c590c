"""A server restart while a form is open: the tab reconnects, and the first edit made after
the restart is saved like any other (issue 13 point 5). It was lost twice over: the new
process ran the page file alone (legacy pages/ mode) and st.switch_page back to
streamlit_app.py dropped the page, its ?dossier= and the values sent (the tab landed on
Accueil); and in the new session StepForm.bind did not see the browser's values (`key in
st.session_state` is False until a widget is drawn) and overwrote them with the stored ones."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import create_engine, text

from tests.e2e import ui
from tests.e2e.server import StreamlitServer

pytestmark = pytest.mark.e2e


def _stored_structure(database_url: str) -> dict:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            data = conn.execute(text("SELECT data FROM applications")).scalar_one()
    finally:
        engine.dispose()
    return (json.loads(data) if isinstance(data, str) else data)["structure"]


def test_the_first_edit_after_a_server_restart_is_saved(browser, tmp_path, shot):
    url = f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}"
    server = StreamlitServer(database_url=url, data_dir=tmp_path).start()
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1400})
    ctx.set_default_timeout(30_000)
    try:
        page = ctx.new_page()
        ui.register(
            page,
            server.url,
            name="Lou Bernard",
            email="dgs@ville-bondy.fr",
            password="cheval-agrafe-batterie-7",
        )
        ui.create_application(page, server.url)
        ui.fill(page, "Nom de la structure", "Ville de Bondy")
        assert _stored_structure(url)["name"] == "Ville de Bondy"

        port = server.port
        server.stop()
        server.start(port=port)  # same address: the open tab reconnects by itself
        page.wait_for_function(ui.IDLE_JS, timeout=60_000)
        ui.wait_idle(page)
        dossier_url = page.url

        ui.fill(page, "Commune", "Bondy")
        page.wait_for_timeout(1_000)
        ui.wait_idle(page)
        shot(page, "apres-redemarrage")
        stored = _stored_structure(url)
        assert stored["commune"] == "Bondy"
        assert stored["name"] == "Ville de Bondy"
        assert page.get_by_label("Commune", exact=True).input_value() == "Bondy"
        # Still on the same step of the same application (not sent back to Accueil).
        assert page.url == dossier_url and "dossier=" in page.url
        assert page.get_by_role("heading", name=re.compile(r"Étape 1")).is_visible()
        assert (
            page.get_by_label("Nom de la structure", exact=True).input_value() == "Ville de Bondy"
        )
    finally:
        ctx.close()
        server.stop()
