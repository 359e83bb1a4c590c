"""Login weaknesses of streamlit-authenticator, closed in core.auth and core.settings."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from pathlib import Path

import jwt
import pytest
import streamlit as st
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core import auth
from core.db import LoginSessionRow, LoginThrottleRow, UserRow, _create_engine, dispose_engine
from core.settings import DEFAULT_COOKIE_KEYS, SettingsError, get_settings
from tests.conftest import TEST_PASSWORD

APP = str(Path(__file__).parent.parent / "streamlit_app.py")

KEY = secrets.token_urlsafe(48)
NOW = dt.datetime(2021, 1, 14, 9, 0, tzinfo=dt.UTC)


def _token(session, user, now=NOW, key=KEY, days=1.0):
    token, _ = auth.open_session(session=session, user=user, key=key, expiry_days=days, now=now)
    return token


def _from_cookie(session, token, now=NOW, key=KEY):
    return auth.user_from_cookie(session=session, token=token, key=key, now=now)


# --- 1. a cookie copied before logout is worthless after it ------------------------------------


def test_cookie_logs_in_until_logout(session, applicant):
    token = _token(session, applicant)
    found = _from_cookie(session, token)
    assert found is not None and found[0] == applicant


def test_cookie_copied_before_logout_no_longer_logs_in(session, applicant):
    copied = _token(session, applicant)
    auth.logout(session=session, user_id=applicant.id)
    session.commit()
    assert _from_cookie(session, copied) is None
    # Ended on the server: the login's row is gone, not merely out of date.
    assert session.scalar(select(func.count()).select_from(LoginSessionRow)) == 0


def test_logout_ends_the_other_open_tabs_on_their_next_rerun(session, applicant):
    _, version = _from_cookie(session, _token(session, applicant))
    assert auth.check_session(session=session, user_id=applicant.id, version=version)
    auth.logout(session=session, user_id=applicant.id)
    assert auth.check_session(session=session, user_id=applicant.id, version=version) is None


def test_logging_in_again_after_logout_gives_a_working_cookie(session, applicant):
    auth.logout(session=session, user_id=applicant.id)
    fresh = _token(session, applicant)
    assert _from_cookie(session, fresh) is not None


def test_password_change_invalidates_existing_cookies(session, applicant):
    old = _token(session, applicant)
    auth.change_password(
        session=session,
        user=applicant,
        current_password=TEST_PASSWORD,
        new_password="nouveau-mot-de-passe-42",
    )
    assert _from_cookie(session, old) is None
    outcome = auth.attempt_login(
        session=session, email=applicant.email, password="nouveau-mot-de-passe-42", now=NOW
    )
    assert outcome.ok


def test_expired_cookie_is_refused(session, applicant):
    token = _token(session, applicant, days=1)
    later = NOW + dt.timedelta(days=1, seconds=1)
    assert _from_cookie(session, token, now=later) is None


def test_the_cookie_is_a_random_id_that_says_nothing_of_the_login(session, applicant):
    tokens = {_token(session, applicant) for _ in range(3)}
    assert len(tokens) == 3  # one login, one id: never derived from the user
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 256 random bits, no structure
        assert "." not in token  # not a JWT: no payload to read
        assert applicant.email not in token
    # The server keeps only a keyed digest: the table's content is no cookie.
    stored = set(session.scalars(select(LoginSessionRow.token_digest)))
    assert stored.isdisjoint(tokens)


def test_a_stolen_table_or_the_wrong_key_opens_no_login(session, applicant):
    token = _token(session, applicant)
    digest = session.scalar(select(LoginSessionRow.token_digest))
    assert _from_cookie(session, digest) is None  # the stored value used as a cookie
    assert _from_cookie(session, token, key=secrets.token_urlsafe(48)) is None


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            # The old cookie format, signed with the real key: no longer worth anything.
            lambda uid: jwt.encode({"sub": str(uid), "sv": 1, "exp": 2**40}, KEY),
            id="signed-with-the-key",
        ),
        pytest.param(
            lambda uid: jwt.encode({"sub": str(uid), "sv": 1, "exp": 2**40}, "x" * 40),
            id="other-key",
        ),
        pytest.param(
            lambda uid: jwt.encode(
                {"sub": str(uid), "sv": 1, "exp": 2**40}, None, algorithm="none"
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda uid: jwt.encode({"username": str(uid), "exp_date": 2**40}, KEY),
            id="library-format",
        ),
        pytest.param(lambda uid: secrets.token_urlsafe(32), id="well-shaped-random-id"),
        pytest.param(lambda uid: "pas-un-jeton", id="garbage"),
        pytest.param(lambda uid: "é" * 43, id="not-ascii"),
    ],
)
def test_forged_cookies_are_refused(session, applicant, forge):
    _token(session, applicant)  # a real login exists
    assert _from_cookie(session, forge(applicant.id)) is None


def test_stale_logins_and_quiet_throttles_are_purged(session, applicant, reviewer):
    live = _token(session, applicant, days=2)
    _token(session, applicant, days=1)  # expired by the time of the purge
    revoked = _token(session, reviewer, days=2)
    # A logout recorded only as a new session version (an instance of the previous release).
    session.execute(update(UserRow).where(UserRow.id == reviewer.id).values(session_version=9))
    for _ in range(auth.MAX_FAILED_LOGINS):  # a source paused for a minute, a day ago
        _login(session, reviewer, "mauvais-mot-de-passe-1")
    for source, at in (("203.0.113.5", NOW), ("203.0.113.6", NOW + dt.timedelta(days=1))):
        auth.attempt_login(
            session=session, email="inconnu@mairie.fr", password="x", source=source, now=at
        )
    session.commit()
    later = NOW + dt.timedelta(days=1, hours=2)
    assert auth.purge_stale(session=session, now=later) == (2, 2)
    session.commit()
    assert _from_cookie(session, live, now=later) is not None
    assert _from_cookie(session, revoked, now=later) is None
    assert session.scalar(select(func.count()).select_from(LoginSessionRow)) == 1
    # Only the source that failed within the last day is remembered.
    assert set(session.scalars(select(LoginThrottleRow.source))) == {"203.0.113.6"}


# --- 2. failed logins are counted in the database, with a lockout -------------------------------


def _login(session, user, password, now=NOW):
    outcome = auth.attempt_login(session=session, email=user.email, password=password, now=now)
    session.commit()
    return outcome


def test_wrong_password_and_unknown_address_get_the_same_answer(session, applicant):
    wrong = _login(session, applicant, "mauvais-mot-de-passe-1")
    unknown = auth.attempt_login(
        session=session, email="personne@nulle-part.fr", password="x", now=NOW
    )
    assert not wrong.ok and not unknown.ok
    assert wrong.message == unknown.message == "Adresse électronique ou mot de passe incorrect."


def test_five_failures_pause_this_source_even_for_the_right_password(session, applicant):
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        assert _login(session, applicant, "mauvais-mot-de-passe-1").locked_until is None
    fifth = _login(session, applicant, "mauvais-mot-de-passe-1")
    assert fifth.locked_until == NOW + dt.timedelta(minutes=1)
    assert "réessayez dans 1 minute." in fifth.message
    during = _login(session, applicant, TEST_PASSWORD, now=NOW + dt.timedelta(seconds=30))
    assert not during.ok
    assert during.locked_until == fifth.locked_until
    after = _login(session, applicant, TEST_PASSWORD, now=NOW + dt.timedelta(minutes=2))
    assert after.ok


def _fail_round(session, email, source, now):
    for _ in range(auth.MAX_FAILED_LOGINS):
        outcome = auth.attempt_login(
            session=session, email=email, password="mauvais-mot-de-passe-1", source=source, now=now
        )
        session.commit()
    return outcome


def test_the_pause_grows_with_each_round_of_failures(session, applicant):
    now, pauses = NOW, []
    for _ in range(8):
        outcome = _fail_round(session, applicant.email, "203.0.113.9", now)
        pauses.append(round((outcome.locked_until - now).total_seconds() / 60))
        now = outcome.locked_until
    assert pauses == [1, 2, 4, 8, 16, 32, 60, 60]  # a growing pause, never a day's lock


def test_a_pause_from_one_source_does_not_lock_the_owner_out(session, applicant, monkeypatch):
    locked = []
    monkeypatch.setattr(
        auth.notifications,
        "account_locked",
        lambda user, *, session, **kw: locked.append((user.id, kw)),
    )
    attacker = _fail_round(session, applicant.email, "198.51.100.7", NOW)
    assert attacker.locked_until is not None
    owner = auth.attempt_login(
        session=session, email=applicant.email, password=TEST_PASSWORD, source="192.0.2.1", now=NOW
    )
    assert owner.ok  # from the owner's usual address, the account still opens
    # The owner is told (the mail itself is issue 13 point 6's sender).
    assert locked == [(applicant.id, {"until": attacker.locked_until, "source": "198.51.100.7"})]


def test_unknown_addresses_pause_exactly_like_known_ones(session, applicant):
    known = _fail_round(session, applicant.email, "198.51.100.7", NOW)
    unknown = _fail_round(session, "personne@nulle-part.fr", "198.51.100.7", NOW)
    assert known.message == unknown.message
    assert known.locked_until == unknown.locked_until


def test_failures_count_across_app_instances(database_url, engine, applicant):
    # Two engines on one database: two Streamlit servers behind a load balancer.
    other_instance = _create_engine(database_url)
    try:
        for n in range(auth.MAX_FAILED_LOGINS):
            with Session(engine if n % 2 else other_instance) as s:
                outcome = _login(s, applicant, "mauvais-mot-de-passe-1")
        assert outcome.locked_until is not None
        with Session(other_instance) as s:
            assert not _login(s, applicant, TEST_PASSWORD).ok
    finally:
        other_instance.dispose()


def test_success_resets_the_counter(session, applicant):
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        _login(session, applicant, "mauvais-mot-de-passe-1")
    assert _login(session, applicant, TEST_PASSWORD).ok
    for _ in range(auth.MAX_FAILED_LOGINS - 1):
        assert _login(session, applicant, "mauvais-mot-de-passe-1").locked_until is None


# --- 3. the cookie key: never missing or default outside demo mode -----------------------


PROD = {"CNFS_DATABASE_URL": "postgresql+psycopg://cnfs@db/cnfs", "CNFS_DEMO": "0"}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "absente"),
        ("", "absente"),
        ("some_signature_key", "par défaut"),
        ("random_signature_key", "par défaut"),
        ("trop-courte", "trop courte"),
    ],
)
def test_production_refuses_a_missing_or_weak_cookie_key(key, message):
    env = dict(PROD) | ({"CNFS_COOKIE_KEY": key} if key is not None else {})
    with pytest.raises(SettingsError, match=message):
        get_settings(env=env)


@pytest.mark.parametrize(
    "key",
    [
        "a" * 32,
        "0" * 32,
        "some_key" * 4,  # the library's default, repeated to the required length
        "changeme" * 4,
        "ab" * 16,
        "abcdefghijklmnopqrstuvwxyz012345",  # a run
        "0123456789" * 4,
        "passwordpasswordpassword12345678",  # a piece typed twice
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
    ],
)
def test_production_refuses_a_guessable_cookie_key_and_says_how_to_make_one(key):
    with pytest.raises(SettingsError) as exc:
        get_settings(env=PROD | {"CNFS_COOKIE_KEY": key})
    assert "secrets.token_urlsafe(48)" in str(exc.value)


@pytest.mark.parametrize(
    "make", [lambda: secrets.token_urlsafe(32), lambda: secrets.token_hex(16), secrets.token_hex]
)
def test_random_keys_of_the_usual_generators_are_accepted(make):
    # 2,000 draws each (250,000 were drawn once, none refused: see the report of issue 13).
    for _ in range(2_000):
        key = make()
        assert get_settings(env=PROD | {"CNFS_COOKIE_KEY": key}).cookie_key == key


def test_library_default_keys_are_listed():
    # streamlit-authenticator's own defaults (Authenticate and its example config).
    assert {"some_key", "some_signature_key"} <= DEFAULT_COOKIE_KEYS


def test_production_accepts_a_strong_key_from_secrets_or_env():
    strong = secrets.token_urlsafe(48)
    assert get_settings(env=PROD | {"CNFS_COOKIE_KEY": strong}).cookie_key == strong
    assert get_settings(env=PROD, cookie_key=strong).cookie_key == strong


def test_demo_mode_runs_without_configuration(tmp_path):
    settings = get_settings(env={"CNFS_DATA_DIR": str(tmp_path)})
    assert settings.demo_mode
    assert settings.database_url.startswith("sqlite:///")
    assert len(settings.cookie_key) >= 32


def test_production_refuses_a_missing_database_url():
    with pytest.raises(SettingsError, match="CNFS_DATABASE_URL"):
        get_settings(env={"CNFS_DEMO": "0", "CNFS_COOKIE_KEY": KEY})


def test_command_line_needs_no_cookie_key():
    assert get_settings(env=PROD, require_cookie_key=False).cookie_key is None


# --- the app itself -------------------------------------------------------------------


def _rerun(at: AppTest) -> AppTest:
    # AppTest re-imports Streamlit's legacy pages/ directory mode on every run and would
    # run the last page file alone; a browser always goes through streamlit_app.py.
    at._finished_page_script_hash = ""
    return at.run()


@pytest.fixture
def demo_app(monkeypatch, tmp_path):
    monkeypatch.delenv("CNFS_DATABASE_URL", raising=False)
    monkeypatch.delenv("CNFS_COOKIE_KEY", raising=False)
    monkeypatch.setenv("CNFS_DEMO", "1")
    monkeypatch.setenv("CNFS_DATA_DIR", str(tmp_path))
    yield AppTest.from_file(APP, default_timeout=60)
    st.cache_resource.clear()
    dispose_engine(f"sqlite:///{(tmp_path / 'cnfs.sqlite3').as_posix()}")


def test_login_page_in_french_shows_demo_accounts(demo_app):
    at = _rerun(demo_app)
    assert not at.exception
    assert at.title[0].value == "Conseillers numériques France Services"
    assert [w.label for w in at.text_input] == ["Adresse électronique", "Mot de passe"]
    assert at.button[0].label == "Se connecter"
    shown = at.table[0].value
    assert set(shown["Adresse électronique"]) == {
        "mairie@demo.cnfs.fr",
        "asso@demo.cnfs.fr",
        "anct@demo.cnfs.fr",
        "prefecture93@demo.cnfs.fr",  # the prefecture of the 93 (issue 12)
        "departement93@demo.cnfs.fr",  # the Département 93's reviewer, its call only (issue 11)
    }


def test_demo_login_then_logout(demo_app):
    at = _rerun(demo_app)
    at.text_input[0].set_value("anct@demo.cnfs.fr")
    at.text_input[1].set_value("mauvais-mot-de-passe")
    at.button[0].click()
    at = _rerun(at)
    assert at.error[0].value == "Adresse électronique ou mot de passe incorrect."
    at.text_input[1].set_value("Anct-demo-2021")
    at.button[0].click()
    at = _rerun(at)  # AppTest follows the st.rerun() of the login page
    assert not at.exception
    assert at.title[0].value.startswith("Tableau de bord")  # the reviewer lands on the dashboard
    at.sidebar.button(key="logout").click()
    at = _rerun(at)
    assert at.title[0].value == "Conseillers numériques France Services"
    assert "Vous êtes déconnecté." in [i.value for i in at.info]


def test_app_refuses_to_start_without_a_cookie_key(monkeypatch, tmp_path):
    monkeypatch.setenv("CNFS_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    monkeypatch.setenv("CNFS_DEMO", "0")
    monkeypatch.delenv("CNFS_COOKIE_KEY", raising=False)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert "Le portail ne peut pas démarrer" in at.error[0].value
    assert "CNFS_COOKIE_KEY" in at.error[0].value
    assert not at.text_input  # no login form


def test_demo_mode_is_refused_on_a_production_database():
    # Demo accounts (reviewer included) have their passwords on the login page.
    with pytest.raises(SettingsError, match="démonstration"):
        get_settings(env={**PROD, "CNFS_DEMO": "1", "CNFS_COOKIE_KEY": KEY})


@pytest.mark.parametrize(
    ("remote_ip", "forwarded_for", "source"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        (None, None, "inconnue"),  # Streamlit gives None for 127.0.0.1
        (None, "198.51.100.7", "198.51.100.7"),
        (None, "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # the first entry is the client's word
    ],
)
def test_login_source_trusts_only_the_proxys_own_entry(remote_ip, forwarded_for, source):
    assert auth.login_source(remote_ip=remote_ip, forwarded_for=forwarded_for) == source


def _index_in_main(at: AppTest, element) -> int:
    """Where `element` sits among the main column's top-level blocks and elements."""
    for index, child in at.main.children.items():
        if child is element or element in _descendants(child):
            return index
    raise AssertionError("élément absent de la colonne principale")


def _descendants(node) -> list:
    children = getattr(node, "children", {}) or {}
    found = list(children.values())
    for child in children.values():
        found += _descendants(child)
    return found


def test_the_page_keeps_its_place_while_the_logout_message_and_cookie_come_and_go(demo_app):
    """Streamlit keeps the previous run's elements until a rerun ends: a page that moves down
    or up by one slot between runs shows twice meanwhile (two login forms after a logout)."""
    at = _rerun(demo_app)
    at.text_input[0].set_value("anct@demo.cnfs.fr")
    at.text_input[1].set_value("Anct-demo-2021")
    at.button[0].click()
    at = _rerun(at)
    at.sidebar.button(key="logout").click()
    places = []
    for _ in range(5):  # the cookie component reruns the page a few times, then stops
        at = _rerun(at)
        places.append(_index_in_main(at, at.title[0]))
    assert "Vous êtes déconnecté." not in [i.value for i in at.info]  # the message went away
    assert len(set(places)) == 1, places
