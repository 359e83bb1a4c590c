"""Prefecture pages run with AppTest, logged in as the prefecture of the 93."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import accounts, opinions
from core.storage import ROLE_LABELS_FR, Role, User
from tests.conftest import TEST_PASSWORD, login_ticket
from tests.review_data import TODAY, populate

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "dashboard": "pages/prefecture_dashboard.py",
    "table": "pages/prefecture_table.py",
    "dossier": "pages/prefecture_dossier.py",
    "sheet": "pages/prefecture_sheet.py",
}
USER_KEY = "_cnfs_user"


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(app_env, session, applicant):
    return populate(session, applicant)


@pytest.fixture
def pref93(session) -> User:
    user = accounts.create_user(
        session=session, email="pref93@seine-saint-denis.gouv.fr", name="Préfecture 93",
        password=TEST_PASSWORD, role=Role.PREFECTURE, departments="93",
    )  # fmt: skip
    session.commit()
    return user


def page(name: str, user: User) -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGES[name]), default_timeout=60)
    at.session_state[USER_KEY] = user
    at.session_state["_cnfs_auth"] = login_ticket(user)  # downloads check it at click time
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [e.value for e in at.info]
    parts += [e.value for e in at.success] + [e.value for e in at.warning]
    return "\n".join(parts)


@pytest.mark.parametrize("name", PAGES)
def test_reviewer_and_applicant_are_turned_away(name, apps, reviewer, applicant):
    for user in (reviewer, applicant):
        at = page(name, user).run()
        assert not at.exception
        # Told why: this page is for prefecture accounts, and which account this is.
        [error] = [e.value.replace("\u00a0", " ") for e in at.error]
        assert error.startswith("Cette page est réservée aux comptes « Services préfectoraux »")
        assert f"« {ROLE_LABELS_FR[user.role]} »" in error


def test_dashboard_counts_what_is_left_to_answer(apps, pref93):
    at = page("dashboard", pref93).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Avis à donner"] == "3" and metrics["Avis donnés"] == "0"
    assert metrics["Prochaine échéance"] == "26 mars 2021"


def test_table_shows_the_departments_submitted_applications(apps, pref93):
    at = page("table", pref93).run()
    assert not at.exception
    names = set(at.dataframe[0].value["Nom de la structure"])
    assert names == {"Commune de Montreuil", "Association Les Liens numériques", "CCAS de Bobigny"}
    at.multiselect(key="pt_opinions").select("").run()  # « sans avis »
    assert len(at.dataframe[0].value) == 3


def test_dossier_form_records_a_negative_opinion(apps, pref93, session):
    at = page("dossier", pref93)
    at.query_params["id"] = str(apps.ccas_93)
    at.run()
    assert not at.exception
    at.radio[0].set_value(opinions.Opinion.NEGATIVE)
    at.number_input[0].set_value(0)
    at.text_area[0].input("Hors maillage territorial.")
    at.button[0].click().run()
    assert not at.exception
    current = opinions.get_opinion(session=session, user=pref93, application_id=apps.ccas_93)
    assert current is not None and current.opinion == opinions.Opinion.NEGATIVE


def test_dossier_form_says_what_is_wrong(apps, pref93, session):
    at = page("dossier", pref93)
    at.query_params["id"] = str(apps.ccas_93)
    at.run()
    at.radio[0].set_value(opinions.Opinion.FURTHER_EXAMINATION)
    at.text_area[0].input("")
    at.button[0].click().run()
    assert any("commentaire est obligatoire" in e.value for e in at.error)
    assert opinions.get_opinion(session=session, user=pref93, application_id=apps.ccas_93) is None


def test_dossier_of_another_department_is_not_found(apps, pref93):
    at = page("dossier", pref93)
    at.query_params["id"] = str(apps.saint_etienne)
    at.run()
    assert [e.value for e in at.error] == [
        f"Aucune candidature ne porte le n° {apps.saint_etienne}."
    ]
    assert "Saint-Étienne" not in _text(at)


def test_sheet_page_lists_the_department(apps, pref93):
    at = page("sheet", pref93).run()
    assert not at.exception
    assert "93 — Seine-Saint-Denis" in [s.value for s in at.subheader]
    list_a = at.dataframe[0].value
    assert list(list_a["Nom"]) == ["CCAS de Bobigny", "Commune de Montreuil"]
    # The XLSX itself is read back in tests/test_sheet_import.py.
    assert at.get("download_button")


def test_the_sheet_uploader_lets_core_answer_any_file_in_french(apps, pref93):
    at = page("sheet", pref93).run()
    (uploader,) = at.get("file_uploader")
    # Restricted to .xlsx, Streamlit would refuse an .ods in English before core says, in
    # French, how to save the sheet as .xlsx (tests/test_sheet_import.py).
    assert list(uploader.proto.type) == []
    shown = " ".join(h.proto.body for h in at.get("html"))
    assert "10 Mo au plus" in shown  # the limit core applies (sheet_import.MAX_FILE_BYTES)
