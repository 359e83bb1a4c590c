"""A server restart while a form is open: the tab reconnects, and the first edit made after
the restart must be saved like any other. It is not yet (issue 13 point 5): the new process's
first run of the tab bypasses streamlit_app.py, is switched back to it, and the switch drops
what the browser sent; StepForm._bind then shows the stored value. Marked xfail(strict): the
day it passes, remove the mark."""

from __future__ import annotations

import json

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


@pytest.mark.xfail(
    strict=True, reason="issue 13 point 5: first edit after a restart dropped (see docstring)"
)
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

        ui.fill(page, "Commune", "Bondy")
        page.wait_for_timeout(1_000)
        ui.wait_idle(page)
        shot(page, "apres-redemarrage")
        stored = _stored_structure(url)
        assert stored["commune"] == "Bondy"
        assert stored["name"] == "Ville de Bondy"
        assert page.get_by_label("Commune", exact=True).input_value() == "Bondy"
    finally:
        ctx.close()
        server.stop()
