"""The per-territory dashboard of a call funding one project per territory (Département 93).

Figures come from the call data (territories, envelope share, target minimums) and from the
dossiers a reviewer may read: out of scope, nothing; CNFS money never mixes with 93 budgets.
"""

from __future__ import annotations

import pandas as pd
import pytest

from core import accounts, review_dashboard, review_listing, review_territories, rules, storage
from core.calls import get_call
from core.models import Application, Status, Verdict
from core.review_listing import ReviewFilters
from core.storage import Role, User
from tests.builders import CD93, CD93_TODAY, CNFS_CALLS, complete_project
from tests.conftest import OTHER_93_SIRETS, TEST_PASSWORD
from tests.review_data import TODAY, populate


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


def _reviewer(session, email: str, calls: str) -> User:
    user = accounts.create_user(
        session=session, email=email, name="Instructeur", password=TEST_PASSWORD,
        role=Role.REVIEWER, calls=calls,
    )  # fmt: skip
    session.commit()
    return user


def _project(session, owner: User, *, submit: bool = True, verdict=None, **changes) -> int:
    data = Application.model_validate(complete_project(**changes))
    record = storage.create_application(session=session, user=owner, call_id=CD93, data=data)
    if submit:
        call = get_call(CD93)
        storage.submit_application(
            session=session, user=owner, application_id=record.id,
            expected_version=record.version,
            verdict=verdict or rules.evaluate(data, call, CD93_TODAY),
            call_version=call.version, commitments_version=call.commitments_version,
        )  # fmt: skip
    session.commit()
    return record.id


@pytest.fixture
def projects(session, applicant, other_applicant):
    """T6: one recevable at the share, one to examine (other porteur), together above the
    share; T9: one recevable; T8: a draft."""
    _project(session, applicant, **{"project.territory": "T6"})
    _project(
        session, other_applicant,
        **{"project.territory": "T6", "structure.siret": OTHER_93_SIRETS[0],
           "project.budget_eur": 100_000, "project.targets.certified": 110},
        verdict=Verdict(status=Status.TO_EXAMINE),
    )  # fmt: skip
    _project(session, applicant, **{"project.territory": "T9", "project.budget_eur": 120_000})
    _project(session, applicant, submit=False, **{"project.territory": "T8"})


@pytest.fixture
def cd93_reviewer(session) -> User:
    return _reviewer(session, "instructeur@seinesaintdenis.fr", CD93)


def _rows(board: review_territories.TerritoryBoard) -> dict[str, review_territories.TerritoryRow]:
    return {r.territory_id: r for r in board.rows}


def test_each_territory_counts_its_dossiers_budget_against_its_share_and_targets(
    session, projects, cd93_reviewer
):
    (board,) = review_territories.territory_boards(session=session, user=cd93_reviewer)
    assert board.call.id == CD93
    rows = _rows(board)
    assert list(rows) == ["T6", "T7", "T8", "T9"]  # the call's order, empty territories too
    assert [r.label for r in board.rows][0] == "Territoire 6 : Plaine Commune"
    t6, t7, t8, t9 = rows.values()
    assert (t6.submitted, t6.drafts, t6.eligible) == (2, 0, 1)  # one recevable, one to examine
    assert t6.share_eur == 187_500
    assert t6.budget_eur == 187_500 + 100_000 and t6.over_share
    assert (t9.submitted, t9.eligible, t9.budget_eur, t9.over_share) == (1, 1, 120_000, False)
    assert (t8.submitted, t8.drafts, t8.budget_eur) == (0, 1, 0)  # a draft is counted, not summed
    assert (t7.submitted, t7.drafts, t7.budget_eur) == (0, 0, 0)
    assert t6.targets == {
        "diagnosed": 500, "equipped": 400, "connected": 200, "oriented": 300, "certified": 210,
    }  # fmt: skip
    assert [(t.id, t.minimum) for t in board.targets][0] == ("diagnosed", 250)


def test_a_budget_exactly_at_the_share_is_within_it(session, applicant, cd93_reviewer):
    _project(session, applicant, **{"project.territory": "T7"})
    t7 = _rows(review_territories.territory_boards(session=session, user=cd93_reviewer)[0])["T7"]
    assert (t7.budget_eur, t7.over_share) == (187_500, False)


def test_a_draft_without_territory_gets_its_own_line(session, applicant, cd93_reviewer):
    _project(session, applicant, submit=False, **{"project.territory": None})
    board = review_territories.territory_boards(session=session, user=cd93_reviewer)[0]
    assert (board.rows[-1].label, board.rows[-1].drafts) == ("Territoire non renseigné", 1)


def test_a_reviewer_out_of_scope_gets_no_territory_table(session, projects, reviewer):
    # ANCT reads the CNFS calls only: no table, and asking for the 93 call gives nothing.
    assert review_territories.territory_boards(session=session, user=reviewer) == []
    assert review_territories.territory_boards(session=session, user=reviewer, call_id=CD93) == []
    assert review_dashboard.dashboard(session=session, user=reviewer).territories == []


def test_cnfs_calls_have_no_territory_table(session, applicant, reviewer):
    populate(session, applicant)
    board = review_dashboard.dashboard(session=session, user=reviewer)
    assert board.territories == [] and board.funds_posts
    assert board.eur_submitted == 10 * 50_000


def test_all_calls_keep_cnfs_money_apart_from_93_budgets(session, applicant, projects, admin):
    populate(session, applicant)
    board = review_dashboard.dashboard(session=session, user=admin)
    assert board.eur_submitted == 10 * 50_000  # not + 407 500 € of 93 budgets
    assert board.funds_posts
    (territorial,) = board.territories
    assert sum(r.budget_eur for r in territorial.rows) == 187_500 + 100_000 + 120_000
    money = board.by_status.set_index("État")["Montant demandé (déposées, €)"]
    assert money["Déposée"] == 10 * 50_000
    assert review_dashboard.dashboard(session=session, user=admin, call_id=CD93).eur_submitted == 0


def test_the_departement_dashboard_has_no_posts_columns(session, projects, cd93_reviewer):
    board = review_dashboard.dashboard(session=session, user=cd93_reviewer)
    assert not board.funds_posts
    assert (board.total, board.submitted) == (4, 3)
    assert "Postes demandés (déposées)" not in board.by_status.columns
    assert "Montant demandé (déposées, €)" not in board.by_region.columns
    assert CNFS_CALLS  # the ANCT scope is the CNFS calls (conftest.reviewer)


# --- the page ----------------------------------------------------------------------------------


def _page(user: User):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tests.conftest import login_ticket

    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "pages/reviewer_dashboard.py"), default_timeout=60)
    at.session_state["_cnfs_user"] = user  # pages/components.py keys
    at.session_state["_cnfs_auth"] = login_ticket(user)
    return at


def test_the_departement_reviewer_reads_the_territory_table(
    app_env, session, projects, cd93_reviewer
):
    at = _page(cd93_reviewer).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Candidatures": "4", "Déposées": "3"}  # no posts, no per-post amount
    territories, targets = (t.value for t in at.table)
    t6 = territories.loc["Territoire 6 : Plaine Commune"]
    assert list(t6) == ["2", "0", "1", "287\u202f500\xa0€", "au-dessus de la part"]
    t9 = territories.loc["Territoire 9 : Grand Paris Grand Est"]
    assert list(t9) == ["1", "0", "1", "120\u202f000\xa0€", "dans la part"]
    assert territories.loc["Territoire 8 : Est Ensemble", "Brouillons"] == "1"
    certified = targets.loc["Personnes passant une certification (PIX, CléA numérique…)"]
    assert certified["Minimum"] == "100"
    assert (certified["T6"], certified["T7"]) == ("210", "—")
    oriented = targets.loc[
        "Personnes orientées vers une formation ou un accompagnement aux usages numériques"
    ]
    assert oriented["Minimum"] == "environ 150"
    text = "\n".join(c.value for c in at.caption)
    assert "Enveloppe de 750\u202f000\xa0€ en 4 parts de 187\u202f500\xa0€" in text
    subheaders = [s.value for s in at.subheader]
    assert "Calendrier des commissions" not in subheaders  # no monthly commission in this call
    assert "Par territoire — " + get_call(CD93).short_title in subheaders


def test_a_target_below_its_minimum_is_said(app_env, session, applicant, cd93_reviewer):
    _project(
        session, applicant, verdict=Verdict(status=Status.TO_EXAMINE),
        **{"project.territory": "T7", "project.targets.connected": 80},
    )  # fmt: skip
    targets = _page(cd93_reviewer).run().table[1].value
    assert targets.loc["Personnes connectées pour au moins 6 mois", "T7"] == "80 (sous le minimum)"


def test_anct_dashboard_has_no_territory_table(app_env, session, applicant, projects, reviewer):
    populate(session, applicant)
    at = _page(reviewer).run()
    assert not at.exception
    assert len(at.table) == 0
    assert {m.label: m.value for m in at.metric}["Montant demandé"] == "500\u202f000\xa0€"
    assert "Calendrier des commissions" in [s.value for s in at.subheader]


def test_the_departements_dossiers_await_no_prefect_opinion(session, applicant, projects, admin):
    """The prefects give no opinion on the Département's call: its dossiers read blank, not
    « Sans avis », and the « Sans avis » filter does not list them as awaiting one."""
    from tests.review_data import make_application

    cnfs = make_application(session, applicant, 1)  # submitted to wave 1, awaiting an opinion
    listing = review_listing.list_applications(session=session, user=admin, filters=ReviewFilters())
    opinion = dict(zip(listing["id"], listing["opinion"], strict=True))
    assert opinion[cnfs] == "Sans avis"
    departement = listing.loc[listing["call"] == get_call(CD93).short_title, "id"]
    assert len(departement) == 4 and all(pd.isna(opinion[i]) for i in departement)
    awaiting = review_listing.list_applications(
        session=session, user=admin, filters=ReviewFilters(opinions=("",))
    )
    assert list(awaiting["id"]) == [cnfs]
