"""A step's answer redraws only what it changed (Streamlit fragments, issue 15), spoken in the
browser's own protocol against a real server: its question alone, the panel with it when the
verdict moved, the step's body when a question appears or goes, the whole page when the step
bar changes. Every answer is saved, and one sent after the login ended elsewhere is not.

A server restart, where Streamlit drops the fragment's reruns, is tests/e2e/test_restart.py."""

from __future__ import annotations

import asyncio
import itertools
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import create_engine, text

from bench.load import open_draft, seed
from bench.st_client import StreamlitClient, int_state, text_state
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


async def open_step_2(server: StreamlitServer):
    client, account = await open_step_1(server)
    await client.rerun(page_name="step_2_postes", query_string=f"dossier={account.application_id}")
    return client, account


async def answer(client: StreamlitClient, account, path: str, value: str | int) -> None:
    widget = client.widget(key=f"f:{account.application_id}:{path}")
    assert widget.fragment_id, "the step's questions are drawn by a fragment"
    state = text_state(widget.id, value) if isinstance(value, str) else int_state(widget.id, value)
    await client.rerun([state])


def redrawn_subsidy(client: StreamlitClient) -> list[str]:
    return [t for t in client.texts if "Subvention estimée" in t]


def step_icon(client: StreamlitClient, number: int) -> str:
    [icon] = [icon for label, icon in client.links if label.startswith(f"{number}. ")]
    return icon


def test_an_answer_nothing_else_reads_redraws_its_question_alone_and_is_saved(server):
    async def scenario():
        client, account = await open_step_1(server)
        try:
            full_page = client.messages
            await answer(client, account, "contact.role", "Secrétaire de mairie")
            # Its question only: no menu, no step bar, no other question, no footer, no panel.
            assert "navigation" not in client.kinds
            assert len(client.fragments_run) == 1
            assert client.messages < full_page / 4
            assert not any(label.startswith("1. ") for label, _ in client.links)
            assert not any("Chaque réponse est enregistrée" in t for t in client.texts)
            assert not redrawn_subsidy(client)
            # The page's other widgets are still there, and the next answer is redrawn alone too.
            client.widget(key="logout")
            await answer(client, account, "contact.name", "Lou Bernard")
            assert "navigation" not in client.kinds
            assert len(client.fragments_run) == 1
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


def test_a_number_of_posts_redraws_its_question_and_the_estimated_subsidy(server):
    async def scenario():
        client, account = await open_step_2(server)
        try:
            [before] = redrawn_subsidy(client)
            await answer(client, account, "posts.count", 3)
            assert "navigation" not in client.kinds
            assert len(client.fragments_run) == 2  # the question and the panel
            [after] = redrawn_subsidy(client)
            assert after != before and "150" in after
            assert not any("Chaque réponse est enregistrée" in t for t in client.texts)
            return account
        finally:
            await client.close()

    account = run(scenario)
    assert stored(server.database_url, account.application_id, "posts.count") == 3


def test_an_answer_that_hides_a_question_redraws_the_step_without_its_header(server):
    async def scenario():
        client, account = await open_step_2(server)
        key = f"f:{account.application_id}:posts.consolidation_details"
        try:
            await answer(client, account, "posts.consolidates_existing_posts", "Oui")
            client.widget(key=key)  # asked now, and missing: the step bar changed too
            assert "navigation" in client.kinds
            await answer(client, account, "posts.consolidation_details", "Deux contrats aidés")
            await answer(client, account, "posts.consolidates_existing_posts", "Non")
            # Step 2 is complete before and after: its body only, and the question is gone.
            assert "navigation" not in client.kinds
            assert len(client.fragments_run) == 1
            assert any("Chaque réponse est enregistrée" in t for t in client.texts)
            assert not any(label.startswith("2. ") for label, _ in client.links)
            drawn = [d.rsplit("-", 1)[-1] for d in client.drawn]
            assert f"f:{account.application_id}:posts.count" in drawn
            assert key not in drawn
            return account
        finally:
            await client.close()

    account = run(scenario)
    assert (
        stored(server.database_url, account.application_id, "posts.consolidates_existing_posts")
        is False
    )


def test_an_answer_sent_with_a_page_link_is_saved_and_the_page_asked_for_opens(server):
    # The browser sends text still being typed along with the click on « Étape suivante ».
    async def scenario():
        client, account = await open_step_1(server)
        try:
            widget = client.widget(key=f"f:{account.application_id}:contact.role")
            await client.rerun(
                [text_state(widget.id, "Adjointe au maire")],
                page_name="step_2_postes",
                query_string=f"dossier={account.application_id}",
            )
            assert "navigation" in client.kinds
            client.widget(key=f"f:{account.application_id}:posts.count")  # step 2 is shown
            return account
        finally:
            await client.close()

    account = run(scenario)
    assert stored(server.database_url, account.application_id, "contact.role") == (
        "Adjointe au maire"
    )


def has_widget(client: StreamlitClient, key: str) -> bool:
    return any(w.id.endswith("-" + key) for w in client.widgets)


def test_a_page_link_clicked_while_an_answer_is_being_saved_opens_the_page_asked_for(server):
    # In a browser the answer leaves when its field loses focus, and the click follows a few
    # milliseconds later, while the answer's callback may still be saving it. An answer that
    # redraws its own question only queues no rerun of its own: the click is never lost.
    async def scenario():
        client, account = await open_step_1(server)
        dossier = f"dossier={account.application_id}"
        role, count = (f"f:{account.application_id}:{p}" for p in ("contact.role", "posts.count"))
        try:
            for n, delay in enumerate([i / 2000 for i in range(40)] * 2):
                await client.send([text_state(client.widget(key=role).id, f"Fonction {n}")])
                await asyncio.sleep(delay)
                await client.send(page_name="step_2_postes", query_string=dossier)
                opened = await client.read_runs(lambda: has_widget(client, count), timeout=5)
                assert opened, f"essai {n} (clic {delay * 1000:.1f} ms après la réponse)"
                await client.rerun(page_name="step_1_structure", query_string=dossier)
            return account, n
        finally:
            await client.close()

    account, n = run(scenario)
    assert stored(server.database_url, account.application_id, "contact.role") == f"Fonction {n}"


def test_a_refused_answer_sent_with_a_page_link_is_named_on_the_page_asked_for(server):
    async def scenario():
        client, account = await open_step_1(server)
        try:
            widget = client.widget(key=f"f:{account.application_id}:contact.role")
            await client.rerun(
                [text_state(widget.id, "x" * 600)],
                page_name="step_2_postes",
                query_string=f"dossier={account.application_id}",
            )
            client.widget(key=f"f:{account.application_id}:posts.count")  # step 2 is shown
            [notice] = [t for t in client.texts if "n'a pas été enregistrée" in t]
            assert "Fonction du contact" in notice and "au plus 500 caractères" in notice
            return account
        finally:
            await client.close()

    account = run(scenario)
    assert stored(server.database_url, account.application_id, "contact.role") != "x" * 600
