"""A filter of the reviewer listing reruns the listing alone (a Streamlit fragment, issue 15),
spoken in the browser's own protocol against a real server (demo data): the table follows the
filter, and a filter sent after the login ended elsewhere shows no dossier."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from bench.st_client import StreamlitClient, text_state, trigger_state
from core import auth
from core.db import get_engine, session_scope
from tests.e2e.server import StreamlitServer

pytestmark = pytest.mark.e2e

REVIEWER, PASSWORD = "anct@demo.cnfs.fr", "Anct-demo-2021"
COUNT = re.compile(r"\*\*(\d+) candidatures?\*\*")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("listing")
    url = f"sqlite:///{(data_dir / 'cnfs.sqlite3').as_posix()}"
    started = StreamlitServer(database_url=url, data_dir=data_dir, demo=True).start()
    yield started
    started.stop()


def run(scenario) -> object:
    """asyncio.run in a thread of its own (Playwright's sync API may hold this one's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario()).result()


async def open_listing(server: StreamlitServer) -> StreamlitClient:
    client = StreamlitClient(f"ws://127.0.0.1:{server.port}/_stcore/stream")
    await client.connect()
    await client.rerun(page_name="")
    await client.rerun(
        [
            text_state(client.widget(label="Adresse électronique").id, REVIEWER),
            text_state(client.widget(label="Mot de passe").id, PASSWORD),
            trigger_state(client.widget(label="Se connecter").id),
        ]
    )
    await client.rerun(page_name="reviewer_table")
    return client


def matching(client: StreamlitClient) -> int:
    [count] = [int(m.group(1)) for t in client.texts if (m := COUNT.search(t))]
    return count


async def search(client: StreamlitClient, term: str) -> None:
    box = client.widget(label="Recherche (SIRET ou nom)")
    assert box.fragment_id, "the listing is drawn by a fragment"
    await client.rerun([text_state(box.id, term)])


def test_a_filter_reruns_the_listing_alone_and_the_table_follows_it(server):
    async def scenario():
        client = await open_listing(server)
        try:
            full_page, everything = client.messages, matching(client)
            assert "navigation" in client.kinds
            await search(client, "Saint-Denis")
            # The listing only: no menu, no login gate, no title.
            assert "navigation" not in client.kinds
            assert client.messages < full_page
            assert 0 < matching(client) < everything
            client.widget(key="logout")  # the page's other widgets are still there
            await search(client, "")
            assert matching(client) == everything
        finally:
            await client.close()

    run(scenario)


def test_a_filter_sent_after_the_login_ended_elsewhere_shows_no_dossier(server):
    async def scenario():
        client = await open_listing(server)
        try:
            with session_scope(get_engine(server.database_url)) as session:
                user_id = session.execute(
                    text("SELECT id FROM users WHERE email = :e"), {"e": REVIEWER}
                ).scalar_one()
                auth.end_all_sessions(session=session, user_id=user_id)
            await search(client, "Saint-Denis")
            assert not any(COUNT.search(t) for t in client.texts)
            client.widget(label="Adresse électronique")
            assert any("Votre session a pris fin" in t for t in client.texts)
        finally:
            await client.close()

    run(scenario)


def test_a_filter_after_the_reviewers_calls_changed_shows_the_new_scope(server):
    # An administrator takes a call away from the reviewer while the listing is open: the
    # next filter already says (and reads) only what the account may now read.
    wave2 = "cnfs-2021-structures-privees"
    engine = get_engine(server.database_url)

    async def scenario():
        client = await open_listing(server)
        try:
            assert any("Appels que vous instruisez" in t for t in client.texts)
            with session_scope(engine) as session:
                session.execute(
                    text(
                        "DELETE FROM user_calls WHERE call_id = :c AND user_id = "
                        "(SELECT id FROM users WHERE email = :e)"
                    ),
                    {"c": wave2, "e": REVIEWER},
                )
            await search(client, "Association")
            assert "navigation" not in client.kinds
            assert any("Appel que vous instruisez" in t for t in client.texts)
            assert not any("structures privées" in t for t in client.texts)
        finally:
            await client.close()
            with session_scope(engine) as session:
                session.execute(
                    text(
                        "INSERT INTO user_calls (user_id, call_id) SELECT id, :c FROM users "
                        "WHERE email = :e"
                    ),
                    {"c": wave2, "e": REVIEWER},
                )

    run(scenario)
