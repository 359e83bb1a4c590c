"""A server start (issue 15): the server prepares itself before it answers, so that its first
visitor finds the database migrated and the demo data there, not the warm-up starting on
their page; and a database that cannot be reached at start does not keep it from serving."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from core.demo_accounts import DEMO_ACCOUNTS
from tests.e2e import ui
from tests.e2e.server import StreamlitServer

pytestmark = pytest.mark.e2e

UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/absent"  # port 9: nothing listens


def test_a_demo_server_has_its_database_ready_before_its_first_visitor(tmp_path):
    path = tmp_path / "cnfs.sqlite3"
    server = StreamlitServer(
        database_url=f"sqlite:///{path.as_posix()}", data_dir=tmp_path, demo=True
    ).start()  # returns once the server answers: no page has been opened yet
    try:
        engine = create_engine(f"sqlite:///{path.as_posix()}")
        try:
            with engine.connect() as conn:
                emails = set(conn.execute(text("SELECT email FROM users")).scalars())
                drafts = conn.execute(text("SELECT count(*) FROM applications")).scalar_one()
        finally:
            engine.dispose()
    finally:
        server.stop()
    assert {a.email for a in DEMO_ACCOUNTS} <= emails
    assert drafts > 0


def test_a_database_unreachable_at_start_does_not_keep_the_login_form_away(browser, tmp_path):
    server = StreamlitServer(database_url=UNREACHABLE, data_dir=tmp_path).start()
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        ui.open_page(page, server.url)
        page.get_by_label("Adresse électronique").wait_for(timeout=30_000)
        assert page.get_by_label("Mot de passe", exact=True).is_visible()
        # The operator reads why in the server's log.
        assert "Préparation de la base impossible au démarrage" in server.log_tail()
    finally:
        ctx.close()
        server.stop()
