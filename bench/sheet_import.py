"""Import of a filled prefect's sheet of 2,000 rows: preview, confirmation, re-import.

python bench/sheet_import.py [--postgres ADMIN_URL] [--rows 2000]

Without --postgres a temporary SQLite database is used; with it, a fresh database is created
on that PostgreSQL server (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) and dropped.
The bench seeds `rows` submitted applications (core.scale_seed), puts them all in the
Seine-Saint-Denis, generates the sheet as the prefecture downloads it, fills every row with
openpyxl (positive, negative with a comment, further examination), then times what the
prefecture waits for. Budget: preview + confirmation ≤ 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/pages.py would shadow the pages package

import openpyxl  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from core import accounts, exports, sheet_import  # noqa: E402
from core.db import ApplicationRow, OpinionChangeRow, get_engine, session_scope  # noqa: E402
from core.scale_seed import seed_scale  # noqa: E402
from core.storage import Role  # noqa: E402

WAVE1 = "cnfs-2020-collectivites"
TODAY = dt.date(2021, 2, 10)  # every list still open
BUDGET_S = 5.0


def fill(content: bytes) -> bytes:
    """Answer every row of list A, as a prefecture would in Excel."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["Liste A"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "N° SIRET")
    columns = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    row = header + 1
    n = 0
    while ws.cell(row, 1).value:
        if n % 5 == 0:
            ws.cell(row, columns["Examen complémentaire"]).value = "Oui"
            ws.cell(row, columns["Commentaire"]).value = "À revoir avec le sous-préfet."
        elif n % 3 == 0:
            ws.cell(row, columns["Avis positif"]).value = "Non"
            ws.cell(row, columns["Nombre de conseillers numériques"]).value = 0
            ws.cell(row, columns["Commentaire"]).value = "Hors maillage territorial."
        else:
            ws.cell(row, columns["Avis positif"]).value = "Oui"
        row += 1
        n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="ADMIN_URL")
    parser.add_argument("--rows", type=int, default=2_000)
    args = parser.parse_args()
    os.environ["CNFS_TODAY"] = TODAY.isoformat()
    accounts.BCRYPT_ROUNDS = 4  # account creation is not what is measured
    if args.postgres:
        from tests.databases import fresh_postgres_database

        databases = fresh_postgres_database(args.postgres, prefix="cnfs_bench")
        url = next(databases)
        try:
            return run(url, args.rows)
        finally:
            from core.db import dispose_engine

            dispose_engine(url)
            next(databases, None)  # drops the database
    return run(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}", args.rows)


def run(url: str, rows_wanted: int) -> int:
    """Seed, generate, fill, import; print the figures; 0 when within budget."""
    engine = get_engine(url)
    # About 70 % of the seeded applications are public (list A): seed enough for `rows`.
    seed_scale(engine, count=rows_wanted * 3 // 2)
    with session_scope(engine) as session:
        chosen = (
            select(ApplicationRow.id)
            .where(ApplicationRow.call_id == WAVE1)
            .order_by(ApplicationRow.id)
            .limit(rows_wanted)
            .scalar_subquery()
        )
        session.execute(
            update(ApplicationRow).where(ApplicationRow.id.in_(chosen)).values(department="93")
        )
        session.execute(
            update(ApplicationRow)
            .where(ApplicationRow.department == "93", ApplicationRow.call_id != WAVE1)
            .values(department="94")
        )
        user = accounts.create_user(
            session=session, email="bench-pref93@exemple.gouv.fr", name="Préfecture 93",
            password="bench-prefecture-2021", role=Role.PREFECTURE, departments="93",
        )  # fmt: skip
    with session_scope(engine) as session:
        start = time.perf_counter()
        sheet = exports.prefect_sheet(
            session=session, user=user, department_code="93", call_id=WAVE1
        )
        content = exports.prefect_sheet_xlsx(sheet, generated_on=TODAY)
        generate_s = time.perf_counter() - start
    rows = len(sheet.list_a)
    filled = fill(content)
    kwargs = dict(user=user, content=filled, file_name="fiche-93.xlsx", department="93")

    with session_scope(engine) as session:
        start = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
        preview = sheet_import.preview_import(session=session, call_id=WAVE1, **kwargs)
        preview_s = time.perf_counter() - start
        if os.environ.get("BENCH_PROFILE"):
            profile.disable()
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    assert preview.ok, [p.text() for p in preview.problems[:5]]
    start = time.perf_counter()
    with session_scope(engine) as session:
        changed = sheet_import.confirm_import(session=session, user=user, preview=preview)
    confirm_s = time.perf_counter() - start
    with session_scope(engine) as session:
        start = time.perf_counter()
        again = sheet_import.preview_import(session=session, call_id=WAVE1, **kwargs)
        reimport_s = time.perf_counter() - start
        history = session.execute(select(func.count()).select_from(OpinionChangeRow)).scalar_one()
    engine.dispose()

    total = preview_s + confirm_s
    backend = url.split(":", 1)[0]
    print(f"base : {backend}, fiche de {rows} lignes ({len(filled) // 1024} Ko), {changed} avis")
    print(f"génération de la fiche            {generate_s:6.2f} s")
    print(f"aperçu (lecture + contrôles)      {preview_s:6.2f} s")
    print(f"confirmation (une transaction)    {confirm_s:6.2f} s")
    print(f"import complet (aperçu + confirm.) {total:5.2f} s   budget {BUDGET_S:.0f} s")
    print(f"réimport du même fichier (aperçu) {reimport_s:6.2f} s, {len(again.changes)} changement")
    print(f"historique : {history} lignes")
    return 0 if total <= BUDGET_S and not again.changes and history == changed else 1


if __name__ == "__main__":
    raise SystemExit(main())
