"""A reviewer at 1280 px: the listing fits without scrolling sideways, a dossier opens with one
click, a 2,000-character answer is read in full, previous / next follow the listing."""

from __future__ import annotations

import pytest

from tests.e2e import ui
from tests.e2e.server import StreamlitServer
from tests.e2e.test_reviewer_journey import REVIEW_ROW_HEIGHT, select_row
from tests.review_data import BROWSER_REVIEWER, make_application, reviewer_and_applicant

pytestmark = pytest.mark.e2e

REVIEWER = BROWSER_REVIEWER
# 2,000 characters whose end is recognisable: a cut cell would lose « FIN-DU-TEXTE ».
SENTENCE = "Permanences numériques à la médiathèque, au CCAS et en mairie annexe. "
LONG_ANSWER = (SENTENCE * 40)[: 2_000 - len(" FIN-DU-TEXTE")] + " FIN-DU-TEXTE"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("cnfs-reviewer-screens")
    url = f"sqlite:///{(data_dir / 'cnfs.sqlite3').as_posix()}"
    with reviewer_and_applicant(url) as (session, owner):
        ids = [
            make_application(
                session,
                owner,
                n,
                **{"structure.name": name, "posts.places_of_activity": places},
            )
            for n, name, places in (
                (1, "Commune de Bondy", "Mairie"),
                (2, "Communauté de communes Creuse Sud-Ouest", LONG_ANSWER),
                (3, "Commune de Pantin", "Médiathèque"),
            )
        ]
        make_application(session, owner, 4, submit=False, **{"structure.name": "Brouillon"})
    instance = StreamlitServer(database_url=url, data_dir=data_dir).start()
    instance.ids = ids
    yield instance
    instance.stop()


def test_reviewer_opens_a_dossier_in_one_click_and_reads_a_long_answer(page, server, shot):
    ui.login(page, server.url, *REVIEWER)
    ui.click(page, "Candidatures", role="link")
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    shot(page, "liste")
    scroller = page.locator('[data-testid="stDataFrame"] .dvn-scroller').first
    overflow = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    assert overflow <= 1, f"la liste défile de {overflow} px vers la droite à 1280 px"
    grid = " ".join(ui.grid_texts(page))
    assert "None" not in grid  # the draft has no deposit date: an empty cell
    assert "Brouillon n°" in grid

    # One click, no « Ouvrir » button to find afterwards.
    select_row(page, "Communauté de communes Creuse Sud-Ouest", row_height=REVIEW_ROW_HEIGHT)
    page.get_by_role("heading", name="Dossier de candidature").wait_for()
    ui.wait_idle(page)
    shot(page, "dossier-reponse-longue")
    answer = page.get_by_text("FIN-DU-TEXTE")
    assert LONG_ANSWER in ui.main_text(page)
    box, main = answer.bounding_box(), page.locator('[data-testid="stMain"]').bounding_box()
    assert box["x"] + box["width"] <= main["x"] + main["width"]  # wrapped, not cut
    assert "Dossier 2 sur 4 de la liste filtrée" in ui.main_text(page)

    ui.click(page, "Dossier suivant")
    assert "Dossier 3 sur 4" in ui.main_text(page)
    ui.click(page, "Dossier précédent")
    ui.click(page, "Dossier précédent")
    assert "Dossier 1 sur 4" in ui.main_text(page)
    assert page.get_by_role("button", name="Dossier précédent").is_disabled()
    shot(page, "dossier-premier")


def test_a_keyboard_user_opens_a_dossier_from_the_listing(page, server):
    ui.login(page, server.url, *REVIEWER)
    ui.click(page, "Candidatures", role="link")
    grid = page.locator('[data-testid="stDataFrame"] canvas').first
    grid.focus()  # where Tab leads after the table's toolbar
    for key in ("ArrowDown", "ArrowDown", "Shift+Space"):  # down to the third row, select it
        page.keyboard.press(key)
    ui.wait_idle(page)
    page.get_by_role("heading", name="Dossier de candidature").wait_for()
    ui.wait_idle(page)
    assert "Dossier 3 sur 4 de la liste filtrée" in ui.main_text(page)


def test_the_listing_filters_are_kept_while_a_dossier_is_read(page, server):
    """A reviewer filters the list, reads a dossier, comes back: the list is as they left it
    (Streamlit forgets a widget's value on a page that does not draw it)."""
    ui.login(page, server.url, *REVIEWER)
    ui.click(page, "Candidatures", role="link")
    page.get_by_text("4 candidatures correspondent").first.wait_for()
    ui.select(page, "État", "Brouillon")
    page.keyboard.press("Escape")
    page.get_by_text("1 candidature correspond").first.wait_for()
    ui.click(page, "Dossier", role="link")
    ui.wait_idle(page)
    ui.click(page, "Candidatures", role="link")
    ui.wait_idle(page)
    page.get_by_text("1 candidature correspond").first.wait_for()
    assert "Brouillon" in " ".join(ui.grid_texts(page))
    # A filter left alone still says so, the call's too (not an empty choice).
    assert ui.field(page, "Appel").input_value() == "Tous les appels"
