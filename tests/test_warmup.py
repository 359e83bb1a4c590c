"""Preparation in the background: a new visitor's login form waits for no database work."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import func, inspect, select, update
from streamlit.testing.v1 import AppTest

from core import accounts, auth, storage, warmup
from core.db import (
    ApplicationRow,
    LoginSessionRow,
    LoginThrottleRow,
    SubmissionRow,
    dispose_engine,
    get_engine,
    session_scope,
)
from tests.conftest import TEST_PASSWORD

APP = str(Path(__file__).parent.parent / "streamlit_app.py")
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/absent"  # port 9: nothing listens


@pytest.fixture
def app_on(monkeypatch, tmp_path):
    def make(database_url: str) -> AppTest:
        monkeypatch.setenv("CNFS_DATABASE_URL", database_url)
        monkeypatch.setenv("CNFS_DEMO", "0")
        monkeypatch.setenv("CNFS_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("CNFS_COOKIE_KEY", secrets.token_urlsafe(48))
        return AppTest.from_file(APP, default_timeout=60)

    yield make
    st.cache_resource.clear()


def test_login_form_is_shown_before_the_database_answers(app_on):
    at = app_on(UNREACHABLE).run()
    assert not at.exception
    assert [w.label for w in at.text_input] == ["Adresse électronique", "Mot de passe"]


def test_a_database_that_cannot_be_prepared_fails_the_login_not_silently(app_on):
    at = app_on(UNREACHABLE).run()
    at.text_input[0].input("agent@mairie.fr")
    at.text_input[1].input("un mot de passe")
    at.button[0].click().run()
    assert at.exception  # the failure reaches the page (Streamlit's short notice in production)


def test_a_failed_preparation_is_tried_again_on_the_next_page(app_on, tmp_path):
    blocker = tmp_path / "pas-un-dossier"
    blocker.write_text("")  # the database's folder cannot be created while this file is there
    url = f"sqlite:///{(blocker / 'cnfs.sqlite3').as_posix()}"
    try:
        at = app_on(url).run()
        at.text_input[0].input("agent@mairie.fr")
        at.text_input[1].input("un mot de passe")
        at.button[0].click().run()
        assert at.exception
        blocker.unlink()  # the administrator fixes the cause, without restarting the server
        at.button[0].click().run()
        assert not at.exception
        assert "incorrect" in at.error[0].value
    finally:
        dispose_engine(url)


def test_preparation_migrates_and_warms(tmp_path):
    url = f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}"
    try:
        assert warmup.start(url, demo_mode=False).result(timeout=120) is False
        assert "applications" in inspect(get_engine(url)).get_table_names()
    finally:
        dispose_engine(url)


def test_preparation_purges_ended_logins_and_old_failed_logins(tmp_path):
    url = f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}"
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    try:
        engine = get_engine(url)
        with session_scope(engine) as session:
            user = accounts.create_user(
                session=session, email="dgs@ville-bondy.fr", name="Lou", password=TEST_PASSWORD
            )
            auth.open_session(session=session, user=user, key="k" * 40, expiry_days=1, now=long_ago)
            auth.attempt_login(
                session=session, email="inconnu@mairie.fr", password="x", now=long_ago
            )
        warmup.prepare_database(url, demo_mode=False)
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(LoginSessionRow)) == 0
            assert session.scalar(select(func.count()).select_from(LoginThrottleRow)) == 0
    finally:
        dispose_engine(url)


def test_preparation_dates_a_dossier_submitted_by_an_instance_older_than_its_copy(tmp_path):
    # During a rolling upgrade an old instance submits without copying the date onto the
    # application: the next start copies it, so the listing sorts that dossier by its date.
    url = f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}"
    try:
        engine = get_engine(url)
        with session_scope(engine) as session:
            user = accounts.create_user(
                session=session, email="dgs@ville-bondy.fr", name="Lou", password=TEST_PASSWORD
            )
            record = storage.create_application(
                session=session, user=user, call_id="cnfs-2020-collectivites"
            )
        with session_scope(engine) as session:
            session.execute(
                update(ApplicationRow)
                .where(ApplicationRow.id == record.id)
                .values(status="submitted")
            )
            session.add(
                SubmissionRow(
                    application_id=record.id,
                    dossier_number="CNFS-2021-000001",
                    submitted_at=dt.datetime(2021, 2, 10, 14, 5, tzinfo=dt.UTC),
                    data={},
                    verdict={},
                    call_version="v",
                    commitments_version="v",
                )
            )
        warmup.prepare_database(url, demo_mode=False)
        with session_scope(engine) as session:
            dated = session.get(ApplicationRow, record.id).submitted_at
        assert dated == dt.datetime(2021, 2, 10, 14, 5, tzinfo=dt.UTC)
    finally:
        dispose_engine(url)


def test_the_pages_warm_up_runs_after_the_database_and_cannot_fail_it(tmp_path):
    url = f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}"
    ran = []

    def pages_warm_up() -> None:
        ran.append(inspect(get_engine(url)).has_table("applications"))
        raise RuntimeError("a library moved")  # only costs speed: logged, not raised

    try:
        ready = warmup.start(url, demo_mode=False, then=pages_warm_up)
        assert ready.result(timeout=120) is False
        for _ in range(600):
            if ran:
                break
            time.sleep(0.1)
        assert ran == [True]
    finally:
        dispose_engine(url)
