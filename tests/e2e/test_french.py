"""No English where a user reads or hears it: every page of every demo role, with its widgets
opened (text being typed, lists unfolded, calendars), plus Streamlit's own dialogs."""

from __future__ import annotations

import re

import pytest

from core.demo_accounts import DEMO_ACCOUNTS
from core.storage import Role
from tests.e2e import ui
from tests.e2e.english import english_findings

pytestmark = pytest.mark.e2e

ACCOUNTS = [a for a in DEMO_ACCOUNTS if a.shown]


def _exercise_widgets(page) -> list[str]:
    """Show the hints Streamlit adds only while a person uses a widget, and collect them."""
    found = []
    main = page.locator('[data-testid="stMain"]')
    boxes = main.locator('input[type="text"]:not([readonly]), textarea')
    if boxes.count():
        box = boxes.first
        box.click()
        box.press("End")
        box.type("x")  # typed, not yet applied: Streamlit shows its "Press Enter" hint
        page.wait_for_timeout(300)
        found += english_findings(page)
        box.press("Backspace")  # back to the saved value: leaving the field changes nothing
    selects = main.locator('[data-testid="stMultiSelect"] [role="combobox"]')
    if selects.count():
        selects.first.click()
        page.wait_for_timeout(300)
        found += english_findings(page)
        page.keyboard.press("Escape")
    dates = main.locator('[data-testid="stDateInput"] [role="spinbutton"]')
    if dates.count():
        dates.first.click()
        page.wait_for_timeout(300)
        found += english_findings(page)
        page.keyboard.press("Escape")
    tables = main.locator('[data-testid="stDataFrame"]')
    if tables.count():
        tables.first.hover()  # its toolbar appears
        page.wait_for_timeout(300)
        found += english_findings(page)
    ui.wait_idle(page)
    return found


def _scan(page, shot, where: str) -> list[str]:
    ui.wait_idle(page)
    shot(page, where)
    return [f"{where} — {f}" for f in english_findings(page) + _exercise_widgets(page)]


def test_public_pages_and_streamlit_dialogs_are_french(page, demo_server, shot):
    found = []
    ui.open_page(page, demo_server.url)
    found += _scan(page, shot, "connexion")
    ui.click(page, "Créer un compte", role="link")
    found += _scan(page, shot, "creer-un-compte")
    # An address that matches no page: Streamlit's own dialog, in French.
    ui.open_page(page, f"{demo_server.url}/cette-page-n-existe-pas")
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    assert "Page introuvable" in dialog.inner_text()
    shot(page, "page-introuvable")
    found += [f"page-introuvable — {f}" for f in english_findings(page)]
    assert page.evaluate("() => document.documentElement.lang") == "fr"
    assert not found, "\n".join(sorted(set(found)))


@pytest.mark.parametrize("account", ACCOUNTS, ids=[a.email.split("@")[0] for a in ACCOUNTS])
def test_every_page_of_each_role_is_french(page, demo_server, shot, account):
    ui.login(page, demo_server.url, account.email, account.password)
    if account.role is Role.APPLICANT:
        ui.create_application(page, demo_server.url)  # the steps then show their forms
    links = page.locator('[data-testid="stSidebarNav"] a')
    targets = [
        (links.nth(i).get_attribute("href"), links.nth(i).inner_text())
        for i in range(links.count())
    ]
    assert len(targets) >= 2, targets
    found = []
    for href, _title in targets:
        page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()
        ui.wait_idle(page)
        where = re.sub(r"[^a-z0-9]+", "-", href.rsplit("/", 1)[-1].lower()).strip("-") or "accueil"
        found += _scan(page, shot, where)
    assert not found, "\n".join(sorted(set(found)))
