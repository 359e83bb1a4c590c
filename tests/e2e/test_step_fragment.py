"""A step form's answer reruns the form alone (a Streamlit fragment, issue 15), spoken in the
browser's own protocol against a real server: the answer is saved, the step bar still follows
the answers, and an answer sent after the login ended elsewhere is not saved.

A server restart, where Streamlit drops the fragment's reruns, is tests/e2e/test_restart.py."""

from __future__ import annotations

import asyncio
import itertools
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from bench.load import open_draft, seed
from bench.st_client import StreamlitClient, text_state
from core import auth
from core.db import get_engine, session_scope
from tests.e2e.server import StreamlitServer

pytestmark = pytest.mark.e2e

DONE, TODO = ":material/check_circle:", ":material/radio_button_unchecked:"
_accounts = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fragment")
    url = f"sqlite:///{(data_dir / 'cnfs.sqlite3').as_posix()}"
    started = StreamlitServer(database_url=url, data_dir=data_dir).start()
    yield started
    started.stop()


def run(scenario) -> object:
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running
    in this one once a browser test has run."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


def stored(url: str, application_id: int, path: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            data = conn.execute(
                text("SELECT data FROM applications WHERE id = :id"), {"id": application_id}
            ).scalar_one()
    finally:
        engine.dispose()
    if isinstance(data, str):  # SQLite keeps JSON as text
        data = json.loads(data)
    section, name = path.split(".")
    return data[section][name]


async def open_step_1(server: StreamlitServer):
    """A new applicant with a complete draft, logged in, on step 1 of it."""
    [account] = seed(server.database_url, 1, f"fragment{next(_accounts)}-", rounds=4)
    client = StreamlitClient(f"ws://127.0.0.1:{server.port}/_stcore/stream")
    await open_draft(client, account)
    return client, account


async def answer(client: StreamlitClient, account, path: str, value: str) -> None:
    widget = client.widget(key=f"f:{account.application_id}:{path}")
    assert widget.fragment_id, "the step's questions are drawn by a fragment"
    await client.rerun([text_state(widget.id, value)])


def step_icon(client: StreamlitClient, number: int) -> str:
    [icon] = [icon for label, icon in client.links if label.startswith(f"{number}. ")]
    return icon


def test_an_answer_reruns_the_step_form_alone_and_is_saved(server):
    async def scenario():
        client, account = await open_step_1(server)
        try:
            full_page = client.messages
            await answer(client, account, "contact.role", "Secrétaire de mairie")
            # The form and its panel only: no menu, no login gate, no title or step bar.
            assert "navigation" not in client.kinds
            assert client.messages < full_page
            assert not any(label.startswith("1. ") for label, _ in client.links)
            assert any("Chaque réponse est enregistrée" in t for t in client.texts)
            # The page's other widgets are still there, and the next answer reruns it too.
            client.widget(key="logout")
            await answer(client, account, "contact.name", "Lou Bernard")
            assert "navigation" not in client.kinds
            return account
        finally:
            await client.close()

    account = run(scenario)
    assert stored(server.database_url, account.application_id, "contact.role") == (
        "Secrétaire de mairie"
    )
    assert stored(server.database_url, account.application_id, "contact.name") == "Lou Bernard"


def test_the_step_bar_follows_an_answer_that_opens_or_completes_a_step(server):
    async def scenario():
        client, account = await open_step_1(server)
        try:
            assert step_icon(client, 2) == DONE
            await answer(client, account, "structure.commune", "")
            # Step 1 now has a missing answer: the whole page was drawn again, bar included.
            assert "navigation" in client.kinds
            assert step_icon(client, 2) == DONE
            assert not any(label.startswith("1. ") and icon == DONE for label, icon in client.links)
            assert stored(server.database_url, account.application_id, "structure.commune") in (
                "",
                None,
            )
            await answer(client, account, "structure.commune", "Bondy")
            assert "navigation" in client.kinds
            assert stored(server.database_url, account.application_id, "structure.commune") == (
                "Bondy"
            )
        finally:
            await client.close()

    run(scenario)


def test_an_answer_sent_after_the_login_ended_elsewhere_is_not_saved(server):
    async def scenario():
        client, account = await open_step_1(server)
        try:
            before = stored(server.database_url, account.application_id, "contact.role")
            with session_scope(get_engine(server.database_url)) as session:
                user_id = session.execute(
                    text("SELECT id FROM users WHERE email = :e"), {"e": account.email}
                ).scalar_one()
                auth.end_all_sessions(session=session, user_id=user_id)  # « déconnecter partout »
            await answer(client, account, "contact.role", "Réponse après la déconnexion")
            assert stored(server.database_url, account.application_id, "contact.role") == before
            # The tab now shows the login form, with the reason.
            client.widget(label="Adresse électronique")
            assert any("Votre session a pris fin" in t for t in client.texts)
        finally:
            await client.close()

    run(scenario)
