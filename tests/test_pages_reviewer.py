"""Reviewer pages run with AppTest on the test database, logged in as a reviewer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.calls import get_call
from core.storage import Role, User
from tests.builders import CD93
from tests.conftest import login_ticket
from tests.review_data import TODAY, populate

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "dashboard": "pages/reviewer_dashboard.py",
    "table": "pages/reviewer_table.py",
    "dossier": "pages/reviewer_dossier.py",
    "prefect": "pages/reviewer_prefect.py",
}
USER_KEY = "_cnfs_user"  # pages/components.py: the user checked at the start of the run
AUTH_KEY = "_cnfs_auth"  # pages/components.py: the tab's login, checked again by downloads
# Widgets that could change data; reviewer pages must have none (downloads are not in this list).
WRITING_WIDGETS = ("text_area", "checkbox", "radio", "date_input", "color_picker", "chat_input")


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(app_env, session, applicant):
    return populate(session, applicant)


def page(name: str, user: User) -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGES[name]), default_timeout=60)
    at.session_state[USER_KEY] = user
    at.session_state[AUTH_KEY] = login_ticket(user)
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(m.value) for m in at.metric] + [e.value for e in at.info]
    parts += [e.value for e in at.success] + [e.value for e in at.warning]
    return "\n".join(parts)


def _no_writing_widget(at: AppTest) -> None:
    for kind in WRITING_WIDGETS:
        assert len(getattr(at, kind)) == 0, kind
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("name", PAGES)
def test_applicant_is_turned_away(name, apps, applicant):
    at = page(name, applicant).run()
    assert not at.exception
    assert [e.value.replace("\u00a0", " ") for e in at.error] == [
        "Cette page est réservée aux comptes « Instructeur (ANCT) » ou « Administrateur » : "
        "vous êtes connecté avec un compte « Structure candidate ». Utilisez le menu pour "
        "ouvrir les pages de votre compte."
    ]
    assert len(at.dataframe) == 0


def test_dashboard(apps, reviewer):
    at = page("dashboard", reviewer).run()
    _no_writing_widget(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Candidatures"] == "5"
    assert metrics["Déposées"] == "4"
    assert metrics["Postes demandés"] == "10"
    assert metrics["Montant demandé"] == "500\u202f000\xa0€"
    text = _text(at)
    assert "Postes demandés : 7 sur 80" in "\n".join(p.proto.text for p in at.get("progress"))
    assert "15 février 2021" in text  # the coming commission
    assert len(at.dataframe) == 6  # the prefects' opinions per department, then 5 roll-ups
    consultation = at.dataframe[0].value.set_index("Département")
    assert consultation.loc["93 — Seine-Saint-Denis", "Sans avis"] == 3
    assert {m.label: m.value for m in at.metric}["Dossiers sans avis"] == "4"
    at.selectbox(key="dashboard_call").select("cnfs-2021-structures-privees").run()
    assert {m.label: m.value for m in at.metric}["Candidatures"] == "1"


def test_table_filters_and_counts(apps, reviewer):
    at = page("table", reviewer).run()
    _no_writing_widget(at)
    assert "**5 candidatures** correspondent" in _text(at)
    assert len(at.dataframe[0].value) == 5
    at.multiselect(key="f_departments").select("42").run()
    assert "**1 candidature** correspond" in _text(at)
    frame = at.dataframe[0].value
    assert list(frame["Nom de la structure"]) == ["Commune de Saint-Étienne"]
    at.multiselect(key="f_departments").unselect("42").run()
    at.text_input(key="f_search").input("bobigny").run()
    assert list(at.dataframe[0].value["Nom de la structure"]) == ["CCAS de Bobigny"]
    at.text_input(key="f_search").input("").run()
    at.selectbox(key="f_coord").select("Oui").run()
    assert "**1 candidature** correspond" in _text(at)
    # Only downloads and navigation: no button that writes.
    assert len(at.button) == 0


def test_table_pages_through_results(apps, reviewer):
    at = page("table", reviewer).run()
    at.selectbox(key="page_size").select(25).run()
    assert at.number_input(key="page").value == 1
    assert "page 1 sur 1" in _text(at)


def test_dossier_view(apps, reviewer):
    at = page("dossier", reviewer)
    at.query_params["id"] = str(apps.association_93)
    at.run()
    _no_writing_widget(at)
    text = _text(at)
    assert "CNFS-2021-" in text
    assert "À examiner" in text
    assert "Le PDF régénéré est identique" in text
    # Answers and reasons are text that wraps, not table cells that cut them.
    assert "**Nom de la structure**  \nAssociation Les Liens numériques" in text
    assert "**Engagements**" in text and "Accepté" in text
    assert "**Examen particulier** : " in text and " — " in text  # a reason and its sources
    history = at.dataframe[0].value
    actions = list(history["Action"])
    assert actions[0] == "Candidature créée"
    # The declaration of who files, saved with the deposit: one autosave, said as such.
    assert re.fullmatch(r"1 réponse enregistrée à \d{1,2} h \d\d", actions[1])
    assert actions[2:] == ["Candidature déposée", "Empreinte du PDF enregistrée"]
    # The reviewer reads the call's title and a French status, not internal codes.
    created, submitted = history["Détail"].iloc[0], history["Détail"].iloc[2]
    assert created == get_call("cnfs-2021-structures-privees").title
    assert submitted.startswith("CNFS-2021-") and submitted.endswith(" (À examiner)")


def test_dossier_of_a_draft_and_unknown_number(apps, reviewer):
    at = page("dossier", reviewer).run()
    assert "Saisissez un numéro" in _text(at)
    at.number_input(key="dossier_id").set_value(apps.draft_93).run()
    assert "pas encore déposée" in _text(at)
    at.number_input(key="dossier_id").set_value(9999).run()
    assert [e.value for e in at.error] == ["Aucune candidature ne porte le n° 9999."]


def test_prefect_page(apps, reviewer):
    at = page("prefect", reviewer).run()
    _no_writing_widget(at)
    assert "Choisissez un département" in _text(at)
    at.selectbox(key="p_department").select("93").run()
    text = _text(at)
    assert "Nombre de structures candidates : **3**" in text
    assert "80 conseillers" in text
    list_a, list_b = (d.value for d in at.dataframe)
    assert list(list_a["Nom"]) == ["CCAS de Bobigny", "Commune de Montreuil"]
    assert list(list_b["Raison sociale"]) == ["Association Les Liens numériques"]


def test_prefect_page_says_a_list_is_empty_in_french(apps, reviewer):
    at = page("prefect", reviewer).run()
    at.selectbox(key="p_department").select("42").run()  # Saint-Étienne only: no private one
    assert len(at.dataframe) == 1  # list A; no empty grid (its canvas reads « empty »)
    assert "Aucune structure candidate sur cette liste." in _text(at)


def _portal(session, user: User) -> AppTest:
    from core import auth

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    version = auth.session_version(session=session, user_id=user.id)
    at.session_state["_cnfs_auth"] = login_ticket(user, version)
    return at.run()


def test_reviewer_navigation_holds_the_review_pages_only(apps, session, reviewer):
    at = _portal(session, reviewer)
    assert not at.exception
    assert {m.label for m in at.metric} >= {"Candidatures", "Déposées"}  # the dashboard
    at.switch_page(PAGES["table"]).run()
    assert "**5 candidatures** correspondent" in _text(at)
    # An applicant's step is not among a reviewer's pages: asking for it shows no form.
    at.switch_page("pages/step_1_structure.py").run()
    assert len(at.text_input) == 0 or not any(t.label.startswith("N° SIRET") for t in at.text_input)


def test_an_open_tab_ends_when_its_login_expires(apps, session, reviewer):
    import datetime as dt
    import time

    from core import auth, clock

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.session_state["_cnfs_auth"] = auth.SessionTicket(
        user_id=reviewer.id, version=1, expires_at=clock.now() + dt.timedelta(seconds=3)
    )
    at.run()
    assert {m.label for m in at.metric} >= {"Candidatures"}  # the dashboard, still valid
    time.sleep(3.5)  # the cookie's expiry passes while the tab stays open
    at._finished_page_script_hash = ""  # through streamlit_app.py, as a browser rerun goes
    at.run()
    assert not at.metric
    assert [b.label for b in at.button] == ["Se connecter"]


def test_prefect_page_offers_the_import_to_admins_only(apps, reviewer, admin):
    for user, uploaders in ((reviewer, 0), (admin, 1)):
        at = page("prefect", user).run()
        at.selectbox(key="p_department").select("93").run()
        assert not at.exception
        assert len(at.get("file_uploader")) == uploaders


# --- reviewers scoped by call (issue 11) -------------------------------------------------------


def _scoped(session, email: str, calls: str) -> User:
    from core import accounts
    from core.storage import Role
    from tests.conftest import TEST_PASSWORD

    user = accounts.create_user(
        session=session, email=email, name="Instructeur", password=TEST_PASSWORD,
        role=Role.REVIEWER, calls=calls, known_calls_only=False,
    )  # fmt: skip
    session.commit()
    return user


def test_a_wave2_reviewer_sees_its_call_only_on_every_page(apps, session):
    user = _scoped(session, "vague2@anct.gouv.fr", "cnfs-2021-structures-privees")
    at = page("dashboard", user).run()
    _no_writing_widget(at)
    assert at.info[0].value == (
        "Appel que vous instruisez : « Conseillers numériques France Services — appel aux "
        "structures privées : associations, fondations, ESS (vague 2) »."
    )
    assert {m.label: m.value for m in at.metric}["Candidatures"] == "1"
    assert at.selectbox(key="dashboard_call").options == [
        "Tous les appels",
        "CNFS — structures privées (vague 2)",
    ]
    at = page("table", user).run()
    assert "**1 candidature** correspond" in _text(at)
    assert list(at.dataframe[0].value["Nom de la structure"]) == [
        "Association Les Liens numériques"
    ]
    assert at.selectbox(key="f_call").options == [
        "Tous les appels",
        "CNFS — structures privées (vague 2)",
    ]
    # A wave-1 dossier opened by its number: the same answer as a number nobody has.
    at = page("dossier", user)
    at.query_params["id"] = str(apps.montreuil)
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [f"Aucune candidature ne porte le n° {apps.montreuil}."]
    at = page("prefect", user).run()
    at.selectbox(key="p_department").select("93").run()
    (list_b,) = (d.value for d in at.dataframe)  # list A is empty: said in words, no grid
    assert "Aucune structure candidate sur cette liste." in _text(at)
    assert list(list_b["Raison sociale"]) == ["Association Les Liens numériques"]


def test_a_reviewer_whose_call_is_not_loaded_sees_nothing_and_no_error(apps, session):
    user = _scoped(session, "instructeur@seinesaintdenis.fr", "cd93-2099-appel-a-venir")
    at = page("dashboard", user).run()
    _no_writing_widget(at)
    assert "n'est encore ouvert sur ce portail" in at.info[0].value
    assert {m.label: m.value for m in at.metric}["Candidatures"] == "0"
    assert "Avis des préfets" not in [s.value for s in at.subheader]
    at = page("table", user).run()
    assert not at.exception
    assert "**0 candidature** correspond" in _text(at)
    at = page("dossier", user)
    at.query_params["id"] = str(apps.association_93)
    at.run()
    assert [e.value for e in at.error] == [
        f"Aucune candidature ne porte le n° {apps.association_93}."
    ]
    at = page("prefect", user).run()
    assert not at.exception
    assert "ne passe par l'avis des préfets" in _text(at)


def _menu(at: AppTest) -> list[str]:
    """The titles of the menu the router gave st.navigation (hidden pages left out)."""
    _, pages = at.session_state["_cnfs_pages"]
    return [p.title for p in pages if p.visibility == "visible"]


def test_the_prefect_sheet_is_in_the_menu_of_the_cnfs_reviewers_only(apps, session, reviewer):
    from tests.conftest import _user

    departement = _user(
        session, "instructrice@seinesaintdenis.fr", "Département", Role.REVIEWER,
        "cd93-2021-numerique-inclusif",
    )  # fmt: skip
    assert "Fiche préfet" in _menu(_portal(session, reviewer))
    menu = _menu(_portal(session, departement))
    assert "Fiche préfet" not in menu
    assert {"Tableau de bord", "Candidatures", "Dossier"} <= set(menu)


# --- the dashboard's figures kept between reruns (issue 15) ------------------------------------


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_a_submission_after_a_first_render_shows_on_the_next(
    apps, session, applicant, reviewer, monkeypatch
):
    from core import review_dashboard
    from tests.review_data import make_application

    computed = []
    dashboard = review_dashboard.dashboard
    monkeypatch.setattr(
        review_dashboard, "dashboard", lambda **kw: computed.append(1) or dashboard(**kw)
    )
    at = page("dashboard", reviewer).run()
    assert _metrics(at)["Déposées"] == "4"
    assert _metrics(at)["Dossiers sans avis"] == "4"
    assert _metrics(at.run())["Déposées"] == "4"
    assert len(computed) == 1  # nothing new: the rerun read the fingerprint only
    make_application(session, applicant, 60)
    at.run()
    assert len(computed) == 2
    assert _metrics(at)["Candidatures"] == "6"
    assert _metrics(at)["Déposées"] == "5"
    assert _metrics(at)["Dossiers sans avis"] == "5"
    # Another tab of the same account (the cache is per process) sees it too.
    assert _metrics(page("dashboard", reviewer).run())["Déposées"] == "5"


def test_the_dashboard_of_one_scope_is_never_served_to_another(apps, session, reviewer):
    wave1 = _scoped(session, "vague1@anct.gouv.fr", "cnfs-2020-collectivites")
    wave2 = _scoped(session, "vague2@anct.gouv.fr", "cnfs-2021-structures-privees")
    # The widest scope first: its entry is in the cache when the narrower ones ask.
    assert _metrics(page("dashboard", reviewer).run())["Candidatures"] == "5"
    assert _metrics(page("dashboard", wave2).run())["Candidatures"] == "1"
    assert _metrics(page("dashboard", wave1).run())["Candidatures"] == "4"
    at = page("dashboard", wave2).run()
    assert _metrics(at)["Candidatures"] == "1"
    # One call chosen: the key holds it too.
    at.selectbox(key="dashboard_call").select("cnfs-2021-structures-privees").run()
    assert _metrics(at)["Candidatures"] == "1"


def test_an_account_whose_role_changed_gets_no_cached_dashboard(apps, session, reviewer):
    """Who asks is checked on each rerun, before the cache is looked at."""
    at = page("dashboard", reviewer).run()
    assert _metrics(at)["Candidatures"] == "5"
    at.session_state[USER_KEY] = reviewer.model_copy(update={"role": Role.APPLICANT})
    at.run()
    assert not at.metric
    assert at.error


def test_the_listing_offers_only_the_filters_of_the_calls_in_view(apps, session, reviewer):
    # The Département's AMI asks no QPV nor France Services, and goes to no prefect.
    labels = {"Avis du préfet", "Poste de coordinateur demandé", "Portage de France Services"}
    cnfs = page("table", reviewer).run()
    assert labels | {"QPV"} <= {w.label for w in [*cnfs.selectbox, *cnfs.multiselect]}
    cd93 = page("table", _scoped(session, "numerique@seinesaintdenis.fr", CD93)).run()
    assert not cd93.exception
    shown = {w.label for w in [*cd93.selectbox, *cd93.multiselect]}
    assert not (labels | {"QPV"}) & shown
    assert "Recherche (SIRET ou nom)" in {w.label for w in cd93.text_input}
