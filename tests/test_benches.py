"""The benches' own set-up, run on the test databases: a bench that breaks on a change of the
schema or of core is found here, not on the day its figures are needed."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from bench import load
from core import accounts, storage
from core.scale_seed import seed_scale


def test_bench_accounts_sit_beside_the_scale_dossiers_and_open_their_own_draft(
    database_url, engine
):
    seed_scale(engine, count=200, drafts=20)
    created = load.seed(database_url, 3, "banc", rounds=4)  # SIRETs distinct from those above
    with Session(engine) as session:
        for account in created:
            user = accounts.get_user_by_email(session=session, email=account.email)
            record = storage.get_application(
                session=session, user=user, application_id=account.application_id
            )
            assert record.status == "draft"
            assert record.owner_id == user.id


def test_the_table_bench_draws_the_application_with_fpdf2_tables():
    from bench import pdf_table

    hand = pdf_table.render(0)
    with pdf_table.with_table(pdf_table.install_fonts, shaping=False):
        table = pdf_table.render(0)
    assert table.startswith(b"%PDF-") and table != hand
    assert pdf_table.words(table)[0] == pdf_table.words(hand)[0]  # as many pages


def test_the_saving_floor_page_saves_each_answer_at_once(database_url, engine, monkeypatch):
    """bench/bare_save_page.py is a floor only if it really writes every answer. It uses the
    application's engine for this URL (core.db), which the engine fixture disposes after."""
    from sqlalchemy import text
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CNFS_DATABASE_URL", database_url)
    script = Path(__file__).parent.parent / "bench" / "bare_save_page.py"
    page = AppTest.from_file(str(script), default_timeout=30)
    page.run()
    for answer in ("Montreuil", "Bagnolet"):
        page.text_input(key="name").input(answer).run()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT answer, version FROM bench_floor")).all()
    assert [tuple(row) for row in rows] == [("Bagnolet", 2)]
