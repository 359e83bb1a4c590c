"""Small helpers to drive Streamlit pages in a real browser as a person would."""

from __future__ import annotations

import re
from typing import Any

IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app !== null
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


def wait_idle(page: Any, *, settle_ms: int = 250, timeout_ms: int = 30_000) -> None:
    """Wait until the script has rerun and the page is connected and quiet."""
    # A rerun starts shortly after the interaction: let it begin before checking it ended.
    page.wait_for_timeout(settle_ms)
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)
    # On a loaded machine the rerun may start late (or chain into another, after st.rerun):
    # only an idle state that lasts counts.
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)
    page.wait_for_timeout(100)


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    wait_idle(page, settle_ms=500)


def field(page: Any, label: str | re.Pattern[str]) -> Any:
    """The input, textarea or select whose visible label matches."""
    return page.get_by_label(label, exact=isinstance(label, str)).first


def fill(page: Any, label: str | re.Pattern[str], value: str) -> None:
    """Type a value and commit it the way a person does (leave the field)."""
    box = field(page, label)
    box.fill(value)
    # Text areas commit on blur; inputs on Enter or blur: Tab does both without submitting forms.
    box.press("Tab")
    wait_idle(page)


def click(page: Any, name: str | re.Pattern[str], *, role: str = "button") -> None:
    page.get_by_role(role, name=name).first.click()
    wait_idle(page)


def select(page: Any, label: str | re.Pattern[str], option: str | re.Pattern[str]) -> None:
    """Choose an option of an st.selectbox (a combobox with a listbox)."""
    box = field(page, label)
    box.click()
    if isinstance(option, str):
        # Long lists are virtualised: type to filter, as a person would.
        page.keyboard.type(option[:12])
    page.get_by_role("option", name=option).first.click()
    wait_idle(page)


def main_text(page: Any) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def js_pwned(page: Any) -> Any:
    """The value hostile payloads try to set; None while nothing ran."""
    return page.evaluate("() => window.__pwned")


def login(page: Any, base_url: str, email: str, password: str) -> None:
    """Log in through the login form and wait for the first page of the role."""
    open_page(page, base_url)
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    click(page, "Se connecter")
    page.get_by_role("button", name="Se déconnecter").wait_for()
    wait_idle(page)
    wait_for_auth_cookie(page)


AUTH_COOKIE = "cnfs_auth"


def wait_for_auth_cookie(page: Any, timeout_ms: int = 15_000) -> None:
    """Wait until the browser holds the login cookie (written by JavaScript after the rerun).

    A person does not reload within milliseconds of logging in; a test does, and would then
    race the script that writes the cookie.
    """
    waited = 0
    while not any(c["name"] == AUTH_COOKIE for c in page.context.cookies()):
        if waited >= timeout_ms:
            raise AssertionError("le cookie de connexion n'a pas été écrit")
        page.wait_for_timeout(100)
        waited += 100


def register(
    page: Any, base_url: str, *, name: str, email: str, password: str, confirm_from: Any = None
) -> None:
    """Create an applicant account through the registration form; with confirm_from (the
    tests.mailbox.Mailbox the server sends to), follow the confirmation link it received."""
    # Through the menu, as a person does (and see test_access: a fresh server's first request
    # by URL to pages/register.py bypasses streamlit_app.py).
    open_page(page, base_url)
    click(page, "Créer un compte", role="link")
    page.get_by_label("Nom et prénom").fill(name)
    page.get_by_label("Adresse électronique professionnelle").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_label("Confirmez le mot de passe").fill(password)
    click(page, "Créer mon compte")
    # The same answer whether the address had an account or not; then one logs in.
    page.get_by_text("Demande enregistrée.").wait_for()
    if confirm_from is not None:
        confirm_email(page, confirm_from, email)
    login(page, base_url, email, password)


def confirm_email(page: Any, mailbox: Any, email: str) -> None:
    """Open the confirmation link mailed to this address, as its owner does."""
    link = mailbox.wait_for(email.strip().lower(), "Confirmez votre adresse").link(
        "confirmer-adresse"
    )
    open_page(page, link)
    page.get_by_text("est confirmée").wait_for()


def choose_radio(page: Any, label: str | re.Pattern[str], option: str) -> None:
    """Pick one option of an st.radio by its group label."""
    group = page.get_by_role("radiogroup", name=label).first
    group.get_by_text(option, exact=True).click()
    wait_idle(page)


def tick_all(page: Any) -> int:
    """Tick every unticked checkbox of the main column, one rerun at a time."""
    ticked = 0
    boxes = page.locator('[data-testid="stMain"] [data-testid="stCheckbox"]')
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if not box.locator("input").is_checked():
            box.locator("label").click()
            wait_idle(page)
            ticked += 1
    return ticked


def create_application(page: Any, base_url: str, call_title: str | None = None) -> None:
    """From Accueil, create a draft (on the first open call unless named) and land on step 1."""
    open_page(page, base_url)
    if call_title is not None:
        select(page, "Appel", call_title)
    click(page, "Créer la candidature")
    page.get_by_role("heading", name=re.compile(r"Étape 1")).wait_for()
    wait_idle(page)


def panel_status(page: Any) -> str:
    """The text of the eligibility panel (right column) as shown."""
    return page.locator('[data-testid="stMain"] [data-testid="stColumn"]').last.inner_text()


def fill_date(page: Any, label: str, day_month_year: str) -> None:
    """Type a date (JJ/MM/AAAA) into an st.date_input, segment by segment as a keyboard user."""
    group = page.get_by_label(label, exact=True).first
    group.locator('[role="spinbutton"]').first.click()
    page.keyboard.type(day_month_year.replace("/", ""))
    page.keyboard.press("Escape")  # close the calendar the click may have opened
    page.keyboard.press("Tab")
    wait_idle(page)


def grid_texts(page: Any) -> list[str]:
    """Cell texts of the first st.dataframe (its accessible twin of the canvas)."""
    cells = page.locator('[data-testid="stDataFrame"] [role="gridcell"]')
    cells.first.wait_for(state="attached")
    return cells.all_inner_texts()


def deposit(page: Any, *, name: str = "Camille Martin", role: str = "Maire adjointe") -> None:
    """On step 5: name the person who files, tick the certification, press « Déposer »."""
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label("Nom et prénom").fill(name)
    form.get_by_label("Fonction", exact=True).fill(role)
    form.locator('[data-testid="stCheckbox"] label').click()
    click(page, "Déposer la candidature")
