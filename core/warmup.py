"""Work done once per server process, in the background, so that no visitor pays for it.

Migrations (and the demo data in demo mode), then the imports, call files, reference data,
PDF fonts and a first verdict per call that the pages would otherwise load on first use.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future


def prepare_database(url: str, demo_mode: bool) -> bool:
    """Migrate (core.db.get_engine does) and, in demo mode, seed an empty database."""
    from core.db import get_engine, session_scope

    engine = get_engine(url)
    from core.auth import purge_stale
    from core.storage import date_undated_submissions, purge_deleted_drafts

    with session_scope(engine) as session:  # drafts deleted more than 30 days ago
        purge_deleted_drafts(session=session)
    with session_scope(engine) as session:  # submitted by an instance older than 0012
        date_undated_submissions(session=session)
    with session_scope(engine) as session:  # ended logins, failed logins quiet for a day
        purge_stale(session=session)
    if not demo_mode:
        return False
    from core.demo import seed_demo

    with session_scope(engine) as session:
        return seed_demo(session=session)


def warm_caches() -> None:
    """Load once what every process caches anyway (functools.cache), before it is asked for."""
    from core import (  # noqa: F401
        calls,
        clock,
        exports,
        pdf,
        pdf_fonts,
        questionnaire,
        reference,
        review_dashboard,
        review_dossier,
        review_listing,
        review_table,
        rules,
    )
    from core.models import Application

    today = clock.today()
    for call in calls.load_calls().values():
        rules.evaluate(Application(call_id=call.id), call, today)
    reference.legal_categories()
    reference.departments()
    reference.epts()
    review_table.department_names()
    pdf_fonts._font_templates()
    questionnaire.check_all()


THEN_DELAY_S = 5.0


def start(url: str, demo_mode: bool, then: Callable[[], None] | None = None) -> Future[bool]:
    """Start in a background thread; the future is done once the database is ready.

    The caches are warmed afterwards in the same thread, then `then` runs (the pages' own
    warm-up): a failure there only costs speed.
    """
    ready: Future[bool] = Future()

    def run() -> None:
        try:
            ready.set_result(prepare_database(url, demo_mode))
        except BaseException as exc:  # handed to whoever waits for the database
            ready.set_exception(exc)
            return
        try:
            warm_caches()
            if then is not None:
                # Later than the first visitor's page, whose login form it would slow down
                # (it holds the interpreter lock), and before anyone has typed a password.
                time.sleep(THEN_DELAY_S)
                then()
        except Exception:
            logging.getLogger(__name__).exception("Préchauffage des caches interrompu")

    threading.Thread(target=run, name="cnfs-warm-up", daemon=True).start()
    return ready
