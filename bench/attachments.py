"""Benchmark of a joined file, server side: check (pypdf opens it) and storage of a 10 MB PDF
with the draft, replacing the previous one, committed; on SQLite and on PostgreSQL when
available (CNFS_BENCH_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test).

Run: python bench/attachments.py
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from core import accounts, attachments, calls, questionnaire, rules, storage  # noqa: E402
from core.db import dispose_engine, get_engine  # noqa: E402
from core.models import Application  # noqa: E402
from tests.attachment_call import PIECES_CALL, PIECES_KIND, write_pieces_call  # noqa: E402
from tests.builders import complete_application  # noqa: E402
from tests.databases import fresh_postgres_database  # noqa: E402
from tests.files import pdf_file  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROUNDS = 15
TODAY = dt.date(2021, 3, 1)


def _postgres_missing(admin_url: str) -> str | None:
    try:
        engine = create_engine(admin_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


def run(label: str, url: str, files: list[bytes]) -> None:
    engine = get_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            user = accounts.create_user(
                session=session, email="bench@asso.fr", name="Bench", password="mot-de-passe-2021",
                role=storage.Role.APPLICANT,
            )  # fmt: skip
            record = storage.create_application(
                session=session, user=user, call_id=PIECES_CALL,
                data=Application.model_validate(complete_application(PIECES_CALL)),
            )  # fmt: skip
            session.commit()
            checks, totals = [], []
            for i in range(ROUNDS):
                content = files[i % len(files)]  # each round replaces the previous file
                start = time.perf_counter()
                attachments.check_file(content, "budget.pdf", accept=["pdf"])
                checks.append(time.perf_counter() - start)
                start = time.perf_counter()
                record, _ = attachments.store(
                    session=session, user=user, application_id=record.id,
                    attachment="support_letter", filename="lettre.pdf", content=content,
                    expected_version=record.version, today=TODAY,
                )  # fmt: skip
                session.commit()
                totals.append(time.perf_counter() - start)
        size = len(files[0]) / 2**20
        print(
            f"{label} : PDF de {size:.1f} Mo — contrôle seul médiane "
            f"{statistics.median(checks) * 1000:.0f} ms ; contrôle + enregistrement "
            f"(remplacement, commit) médiane {statistics.median(totals) * 1000:.0f} ms, "
            f"max {max(totals) * 1000:.0f} ms (cible ≤ 1 000 ms)"
        )
    finally:
        dispose_engine(url)


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="cnfs_bench_attachments_"))
    calls.CALLS_DIR, questionnaire.QUESTIONNAIRES_DIR = write_pieces_call(root)
    rules.RULESETS[PIECES_KIND] = rules.RULESETS["cnfs_host"]
    files = [pdf_file(noise_px=1864), pdf_file(noise_px=1865)]  # ~10 Mo each, incompressible
    assert all(len(f) <= attachments.MAX_BYTES for f in files)
    run("SQLite", f"sqlite:///{root / 'bench.sqlite3'}", files)
    admin_url = os.environ.get("CNFS_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    missing = _postgres_missing(admin_url)
    if missing:
        print(f"PostgreSQL : non mesuré ({missing})")
        return
    databases = fresh_postgres_database(admin_url, prefix="cnfs_bench_attachments")
    url = next(databases)
    try:
        run("PostgreSQL", url, files)
    finally:
        next(databases, None)


if __name__ == "__main__":
    main()
