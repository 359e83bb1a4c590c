"""Real-browser fixtures: Debian's Chromium through Playwright, one Streamlit server per module.

Without /usr/bin/chromium or axe-core the tests are skipped with the command that installs
them; under CI=true they fail instead, so CI always proves them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import fresh_postgres_database
from tests.e2e import axe
from tests.e2e.server import REPO, StreamlitServer
from tests.mailbox import Mailbox

CHROMIUM = Path(os.environ.get("CNFS_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "test-artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(message: str) -> None:
    """Skip locally, fail in CI: CI must run every browser test."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true : les tests navigateur doivent tourner)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.is_file():
        _missing(f"Chromium absent ({CHROMIUM}) : installez-le avec « apt-get install chromium »")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright absent : « pip install -e '.[dev]' »")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_ready() -> None:
    if not axe.axe_available():
        _missing(f"axe-core absent ({axe.AXE_JS}) : lancez « npm ci » à la racine du dépôt")


@pytest.fixture
def context(browser) -> Iterator[object]:
    """A fresh browser profile (no cookies) per test, in French, with downloads allowed."""
    ctx = browser.new_context(
        locale="fr-FR",
        viewport={"width": 1280, "height": 1400},
        accept_downloads=True,
    )
    ctx.set_default_timeout(30_000)  # generous: CI machines have two cores
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> Iterator[object]:
    pg = context.new_page()
    yield pg
    pg.close()


class Shots:
    """Numbered screenshots of one test under test-artifacts/<module>/<test>/."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page, name: str, *, full_page: bool = True) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        # Every screenshot is also a check that no page crashed on the way.
        errors = page.locator('[data-testid="stException"]')
        assert errors.count() == 0, f"{path.name}: {errors.first.inner_text()[:500]}"
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    module = request.module.__name__.rsplit(".", 1)[-1]
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return Shots(ARTIFACTS / module / test)


def _postgres_admin_url() -> str:
    url = os.environ.get("CNFS_TEST_POSTGRES_URL")
    if not url:
        _missing("CNFS_TEST_POSTGRES_URL non défini : tests sur PostgreSQL ignorés")
    return url


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one module, dropped afterwards."""
    yield from fresh_postgres_database(_postgres_admin_url(), prefix="cnfs_e2e")


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) that production-mode test servers send their mail to."""
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[StreamlitServer]:
    """One server per module on its own fresh SQLite data directory, mailing to `mailbox`."""
    yield from _sqlite_server(tmp_path_factory, demo=False, mail=mailbox)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """One server per module in demo mode (demo accounts and sample applications)."""
    yield from _sqlite_server(tmp_path_factory, demo=True)


def _sqlite_server(
    factory: pytest.TempPathFactory, *, demo: bool, mail: Mailbox | None = None
) -> Iterator[StreamlitServer]:
    data_dir = factory.mktemp("cnfs-demo" if demo else "cnfs-e2e")
    server = StreamlitServer(
        database_url=f"sqlite:///{(data_dir / 'cnfs.sqlite3').as_posix()}",
        data_dir=data_dir,
        demo=demo,
        mail=mail,
    )
    server.start()
    yield server
    server.stop()
