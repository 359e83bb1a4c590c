"""Mail in the pages (AppTest): registration link, password reset, deposit notice, demo."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core import account_links, accounts, auth, mail_events, storage
from core.db import OutboxRow, dispose_engine
from tests.conftest import TEST_PASSWORD
from tests.mailbox import Mailbox
from tests.test_pages_applicant import (
    APP,
    COMMUNE_STEP_1,
    STEP_2,
    TODAY,
    WAVE1,
    Portal,
    accept_commitments,
    deposit,
    fill_step,
    new_draft,
    submit_button,
)

BASE_URL = "https://candidature.exemple.gouv.fr"
SAME_ANSWER = "Si un compte existe pour cette adresse, un courriel vient de lui être envoyé"


@pytest.fixture(autouse=True)
def _env(app_env, monkeypatch):
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())
    monkeypatch.setenv("CNFS_BASE_URL", BASE_URL)


@pytest.fixture
def mailbox(monkeypatch):
    box = Mailbox().start()
    for name, value in box.env().items():
        monkeypatch.setenv(name, value)
    yield box
    box.stop()


def _run(at: AppTest) -> AppTest:
    # Through streamlit_app.py to the role's first page, as a browser after st.rerun() (AppTest
    # would otherwise run the last page file alone: see test_auth).
    at._page_hash = at._finished_page_script_hash = ""
    return at.run()


def _texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "warning", "info", "success")
    text = "\n".join(str(e.value) for k in kinds for e in getattr(at, k)).replace("\\", "")
    return text.replace("\u2060", "")  # escape_md's word joiner keeps addresses from linking


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["jeton"][0]


def test_registration_mails_a_link_that_confirms_the_address(session, mailbox):
    at = _run(AppTest.from_file(APP, default_timeout=30))
    at.switch_page("pages/register.py").run()
    at.text_input[0].set_value("Lucie Bernard")
    at.text_input[1].set_value("Lucie.Bernard@mairie-pantin.fr")
    at.text_input[2].set_value("une-phrase-de-passe-2021")
    at.text_input[3].set_value("une-phrase-de-passe-2021")
    at.button[0].click()
    at = _run(at.run())  # the click, then the login page (the same answer for any address)
    assert not at.exception
    assert accounts.REGISTRATION_RECEIVED in _texts(at)

    received = mailbox.wait_for("lucie.bernard@mairie-pantin.fr", "Confirmez votre adresse")
    link = received.link(mail_events.CONFIRM_PATH)
    assert link.startswith(BASE_URL + "/confirmer-adresse?jeton=")
    at.query_params["jeton"] = _token(link)
    at.switch_page("pages/confirm_email.py").run()
    assert "l'adresse lucie.bernard@mairie-pantin.fr est confirmée" in _texts(at)
    user = accounts.get_user_by_email(session=session, email="lucie.bernard@mairie-pantin.fr")
    assert account_links.is_confirmed(session=session, user_id=user.id)


def test_a_used_confirmation_link_says_so():
    at = _run(AppTest.from_file(APP, default_timeout=30))
    at.query_params["jeton"] = "A" * 43
    at.switch_page("pages/confirm_email.py").run()
    assert not at.exception
    assert "n'est plus valable" in at.error[0].value


def _ask_reset(email: str) -> AppTest:
    at = _run(AppTest.from_file(APP, default_timeout=30))
    assert any(link.label == "Mot de passe oublié ?" for link in at.get("page_link"))
    at.switch_page("pages/password_reset.py").run()
    at.text_input[0].set_value(email)
    at.button[0].click()
    return at.run()


def test_a_reset_request_answers_the_same_whether_the_account_exists(session, applicant):
    known, unknown = _ask_reset(applicant.email), _ask_reset("personne@mairie-inconnue.fr")
    assert [s.value for s in known.success] == [s.value for s in unknown.success]
    assert SAME_ANSWER in known.success[0].value
    kinds = session.execute(select(OutboxRow.kind, OutboxRow.recipients)).all()
    assert kinds == [(mail_events.RESET_PASSWORD, [applicant.email])]


def test_the_reset_link_sets_a_new_password_and_ends_every_login(session, applicant):
    old_version = auth.session_version(session=session, user_id=applicant.id)
    token, _ = account_links.issue(
        session=session, user_id=applicant.id, purpose=account_links.Purpose.RESET_PASSWORD
    )
    session.commit()
    at = _run(AppTest.from_file(APP, default_timeout=30))
    at.query_params["jeton"] = token
    at.switch_page("pages/password_reset.py").run()
    assert applicant.email in _texts(at)
    at.text_input[0].set_value("nouvelle-phrase-2021")
    at.text_input[1].set_value("nouvelle-phrase-2021")
    at.button[0].click()
    at.run()  # changes it, then st.switch_page() to the login page, which says so
    assert not at.exception
    assert "Mot de passe changé" in _texts(at)
    session.expire_all()
    assert auth.check_session(session=session, user_id=applicant.id, version=old_version) is None
    assert (
        auth.attempt_login(session=session, email=applicant.email, password=TEST_PASSWORD).ok
        is False
    )


def test_a_spent_reset_link_offers_a_new_one(session, applicant):
    at = _run(AppTest.from_file(APP, default_timeout=30))
    at.query_params["jeton"] = "B" * 43
    at.switch_page("pages/password_reset.py").run()
    assert "n'est plus valable" in at.error[0].value
    assert not at.text_input  # no password form for a dead link


def _complete_draft(portal: Portal, session, user) -> None:
    portal.dossier = new_draft(session, user)
    fill_step(portal, 1, COMMUNE_STEP_1)
    fill_step(portal, 2, STEP_2)
    fill_step(portal, 3, {"posts.coordinator_wanted": False})
    accept_commitments(portal, WAVE1)
    portal.open(5)


def test_an_unconfirmed_address_holds_the_deposit_and_offers_a_new_link(session):
    user = accounts.create_user(
        session=session, email="accueil@mairie-bondy.fr", name="Accueil", password=TEST_PASSWORD
    )
    session.commit()
    portal = Portal(session, user)
    _complete_draft(portal, session, user)
    assert "Adresse électronique à confirmer" in _texts(portal.at)
    assert submit_button(portal).disabled
    portal.at.button(key="resend_confirmation").click().run()
    portal.check()
    rows = session.execute(select(OutboxRow.kind)).scalars().all()
    assert rows == [mail_events.CONFIRM_EMAIL]


def test_a_deposit_with_the_mail_server_down_is_recorded_and_the_user_told(
    session, applicant, monkeypatch
):
    monkeypatch.setenv("CNFS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CNFS_SMTP_PORT", str(Mailbox().port))  # nobody listens there
    monkeypatch.setenv("CNFS_SMTP_SECURITY", "none")
    portal = Portal(session, applicant)
    _complete_draft(portal, session, applicant)
    deposit(portal)
    portal.check()
    record = storage.get_application(session=session, user=applicant, application_id=portal.dossier)
    assert record.submission is not None  # the deposit stands
    portal.open(5)
    text = _texts(portal.at)
    assert "L'accusé de réception (avec le PDF) n'a pas encore pu être envoyé" in text
    assert "Rien n'est perdu : un nouvel essai aura lieu automatiquement" in text


def test_a_deposit_tells_where_the_acknowledgement_went(session, applicant, mailbox):
    portal = Portal(session, applicant)
    _complete_draft(portal, session, applicant)
    deposit(portal)
    portal.open(5)
    assert "L'accusé de réception (avec le PDF) a été envoyé à" in _texts(portal.at)
    received = mailbox.wait_for("elodie.lefevre@montreuil.fr", "Accusé de réception")
    assert applicant.email in received.envelope_to


@pytest.fixture
def demo_app(monkeypatch, tmp_path):
    for name in ("CNFS_DATABASE_URL", "CNFS_COOKIE_KEY", "CNFS_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CNFS_DEMO", "1")
    monkeypatch.setenv("CNFS_DATA_DIR", str(tmp_path))
    yield AppTest.from_file(APP, default_timeout=60)
    st.cache_resource.clear()
    dispose_engine(f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}")


def test_the_demo_shows_its_mails_with_the_link_to_follow(demo_app):
    at = _run(demo_app)
    at.switch_page("pages/register.py").run()
    at.text_input[0].set_value("Lucie Bernard")
    at.text_input[1].set_value("lucie@mairie-pantin.fr")
    at.text_input[2].set_value("une-phrase-de-passe-2021")
    at.text_input[3].set_value("une-phrase-de-passe-2021")
    at.button[0].click()
    at = _run(at.run())
    assert "Courriels (démonstration)" in _texts(at)
    at.switch_page("pages/demo_outbox.py").run()
    assert not at.exception
    assert "Confirmez votre adresse électronique" in _texts(at)
    body = at.get("text")[1].value  # after the « À : » line
    assert "http://localhost:8501/confirmer-adresse?jeton=" in body
    assert [b.proto.url for b in at.get("link_button")][0] in body
