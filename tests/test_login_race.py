"""The probe's race, with real concurrency: 20 sessions send their attempts at the same moment
(threads, each with its own connection; on PostgreSQL when configured)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session

from core import auth
from tests.conftest import TEST_PASSWORD

ATTEMPTS = 20
WRONG = "mauvais-mot-de-passe-1"


@pytest.fixture
def counted_checks(monkeypatch):
    """Counts bcrypt checks, each made slow enough that all attempts are in flight together."""
    checks = []
    real = auth.verify_password

    def slow_verify(password: str, password_hash: str) -> bool:
        checks.append(password)
        time.sleep(0.2)
        return real(password, password_hash)

    monkeypatch.setattr(auth, "verify_password", slow_verify)
    return checks


def _concurrently(engine, email: str, passwords: list[str]) -> list[auth.LoginOutcome]:
    start = threading.Barrier(len(passwords))

    def attempt(password: str) -> auth.LoginOutcome:
        with Session(engine, expire_on_commit=False) as session:
            start.wait()
            outcome = auth.attempt_login(session=session, email=email, password=password)
            session.commit()
            return outcome

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return list(pool.map(attempt, passwords))


def test_twenty_concurrent_attempts_check_no_more_passwords_than_the_threshold(
    engine, applicant, counted_checks
):
    outcomes = _concurrently(engine, applicant.email, [WRONG] * ATTEMPTS)
    assert len(counted_checks) == auth.MAX_FAILED_LOGINS
    assert not any(o.ok for o in outcomes)
    refused_unchecked = [o for o in outcomes if o.locked_until is not None]
    assert len(refused_unchecked) >= ATTEMPTS - auth.MAX_FAILED_LOGINS


def test_the_right_password_after_a_concurrent_burst_does_not_log_in(
    engine, applicant, counted_checks
):
    _concurrently(engine, applicant.email, [WRONG] * (ATTEMPTS - 1))
    with Session(engine) as session:
        outcome = auth.attempt_login(session=session, email=applicant.email, password=TEST_PASSWORD)
        session.commit()
    assert not outcome.ok
    assert outcome.locked_until is not None
    assert len(counted_checks) == auth.MAX_FAILED_LOGINS  # the right one was not even checked


def test_a_right_password_inside_the_burst_is_one_of_the_allowed_checks_at_most(
    engine, applicant, counted_checks
):
    outcomes = _concurrently(engine, applicant.email, [WRONG] * (ATTEMPTS - 1) + [TEST_PASSWORD])
    # It logs in only if it was among the checks allowed, never after the pause began.
    logged_in = sum(o.ok for o in outcomes)
    assert logged_in == (TEST_PASSWORD in counted_checks)
    # A successful login starts a new round: on a loaded machine, attempts that reach the
    # database after it are counted anew, up to the threshold again (seen once in a run).
    assert len(counted_checks) <= auth.MAX_FAILED_LOGINS * (1 + logged_in)
