"""The filled prefect's sheet comes back: preview row by row, every problem with its sheet, row
and column, all or nothing, idempotent, and two concurrent imports leave one trace."""

from __future__ import annotations

import hashlib
import io
import threading

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import accounts, exports, opinions, prefecture, sheet_import
from core.db import OpinionChangeRow, OpinionRow
from core.opinions import Opinion, OpinionInput
from core.sheet_import import ImportConflict, ImportRefused, confirm_import, preview_import
from core.storage import Forbidden, Role
from tests.builders import WAVE1
from tests.conftest import POSTGRES_URL, TEST_PASSWORD
from tests.review_data import TODAY, populate


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CNFS_TODAY", TODAY.isoformat())


@pytest.fixture
def apps(session, applicant):
    return populate(session, applicant)


@pytest.fixture
def pref93(session):
    user = accounts.create_user(
        session=session, email="pref93@seine-saint-denis.gouv.fr", name="Préfecture 93",
        password=TEST_PASSWORD, role=Role.PREFECTURE, departments="93",
    )  # fmt: skip
    session.commit()
    return user


def download(session, user, department="93", call_id=WAVE1) -> bytes:
    sheet = exports.prefect_sheet(
        session=session, user=user, department_code=department, call_id=call_id
    )
    return exports.prefect_sheet_xlsx(sheet, generated_on=TODAY)


def fill(content: bytes, answers: dict[str, dict[str, object]], sheet="Liste A") -> bytes:
    """Type answers into the rows of the given SIRETs, as a person does in Excel."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb[sheet]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "N° SIRET")
    columns = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    for row in range(header + 1, ws.max_row + 1):
        siret = ws.cell(row, 1).value
        for column, value in answers.get(siret, {}).items():
            ws.cell(row, columns[column]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def siret_of(session, reviewer, application_id) -> str:
    from core import storage

    record = storage.get_application(session=session, user=reviewer, application_id=application_id)
    return record.data.structure.siret


def _preview(session, user, content, department="93", call_id=WAVE1, **kw):
    return preview_import(
        session=session, user=user, content=content, file_name="fiche-93.xlsx",
        department=department, call_id=call_id, **kw,
    )  # fmt: skip


def _confirm(session, user, content, preview):
    changed = confirm_import(session=session, user=user, preview=preview)
    session.commit()
    return changed


def _history_count(session) -> int:
    return session.execute(select(func.count()).select_from(OpinionChangeRow)).scalar_one()


def test_filled_sheet_round_trip_is_recorded_once(session, pref93, reviewer, apps):
    montreuil = siret_of(session, reviewer, apps.montreuil)
    ccas = siret_of(session, reviewer, apps.ccas_93)
    content = fill(
        download(session, pref93),
        {
            montreuil: {"Avis positif": "Oui", "Nombre de conseillers numériques": 2},
            ccas: {"Examen complémentaire": "oui ", "Commentaire": "À articuler avec l'EPT."},
        },
    )
    preview = _preview(session, pref93, content)
    assert preview.problems == []
    frame = preview.frame()
    assert list(frame["Nouvel avis"]) == ["Examen complémentaire", "Avis positif"]
    assert list(frame["Avis actuel"]) == ["Sans avis", "Sans avis"]
    assert _history_count(session) == 0  # a preview records nothing

    assert _confirm(session, pref93, content, preview) == 2
    current = opinions.get_opinion(session=session, user=reviewer, application_id=apps.montreuil)
    assert (current.opinion, current.supported_count) == (Opinion.POSITIVE, 2)
    (change,) = opinions.list_changes(session=session, user=reviewer, application_id=apps.ccas_93)
    assert change.source == "file" and change.file_name == "fiche-93.xlsx"
    assert change.file_sha256 == hashlib.sha256(content).hexdigest()
    assert change.new_opinion == Opinion.FURTHER_EXAMINATION and change.new_count == 0

    # The same file again changes nothing; so does the freshly generated sheet, which carries
    # the opinions already given.
    again = _preview(session, pref93, content)
    assert again.changes == [] and again.unchanged == 2
    assert _confirm(session, pref93, content, again) == 0
    regenerated = download(session, pref93)
    assert _preview(session, pref93, regenerated).changes == []
    assert _history_count(session) == 2


def test_every_problem_is_listed_and_nothing_is_recorded(session, pref93, reviewer, apps):
    montreuil = siret_of(session, reviewer, apps.montreuil)
    ccas = siret_of(session, reviewer, apps.ccas_93)
    saint_etienne = siret_of(session, reviewer, apps.saint_etienne)  # department 42
    content = download(session, pref93)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb["Liste A"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "N° SIRET")
    rows = {ws.cell(r, 1).value: r for r in (header + 1, header + 2)}  # CCAS, then Montreuil
    ws.cell(rows[ccas], 5).value = "Peut-être"
    ws.cell(rows[ccas], 6).value = "deux"
    ws.cell(rows[montreuil], 5).value = "Non"  # negative without comment
    ws.insert_rows(header + 3, amount=4)
    extra = [
        (saint_etienne, "Oui"),  # another department's structure
        ("21930066200019", "Oui"),  # misspelt: wrong check key
        ("2193006620001", "Oui"),  # 13 digits
        (montreuil, "Oui"),  # twice
    ]
    for offset, (siret, avis) in enumerate(extra, start=3):
        ws.cell(header + offset, 1).value = siret
        ws.cell(header + offset, 5).value = avis
    out = io.BytesIO()
    wb.save(out)
    filled = out.getvalue()

    preview = _preview(session, pref93, filled)
    texts = [p.text() for p in preview.problems]
    row = lambda n: f"Liste A, ligne {n}"  # noqa: E731
    expected = [
        f"{row(rows[ccas])}, colonne « Avis positif » : « Peut-être » n'est pas une réponse",
        f"{row(rows[ccas])}, colonne « Nombre de conseillers numériques » : « deux » n'est pas",
        f"{row(rows[montreuil])}, colonne « Commentaire » : Un commentaire est obligatoire",
        f"{row(header + 3)}, colonne « N° SIRET » : SIRET {saint_etienne} absent",
        f"{row(header + 4)}, colonne « N° SIRET » : SIRET mal saisi (« 21930066200019 ») : la clé",
        f"{row(header + 5)}, colonne « N° SIRET » : SIRET mal saisi (« 2193006620001 ») : 14",
        f"{row(header + 6)}, colonne « N° SIRET » : Cette structure figure déjà",
    ]
    assert len(texts) == len(expected), texts
    for text, start in zip(texts, expected, strict=True):
        assert text.startswith(start), (text, start)
    with pytest.raises(ImportRefused):
        _confirm(session, pref93, filled, preview)
    assert _history_count(session) == 0
    assert session.execute(select(func.count()).select_from(OpinionRow)).scalar_one() == 0


def test_count_above_the_posts_requested_is_refused(session, pref93, reviewer, apps):
    ccas = siret_of(session, reviewer, apps.ccas_93)
    content = fill(
        download(session, pref93),
        {ccas: {"Avis positif": "Oui", "Nombre de conseillers numériques": 5}},
    )
    (problem,) = _preview(session, pref93, content).problems
    assert problem.column == "Nombre de conseillers numériques"
    assert "entre 0 et 4" in problem.message


def _with_parameter(content: bytes, key: str, value: str) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(content))
    for row in wb["Paramètres"].iter_rows():
        if row[0].value == key:
            row[1].value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _plain_workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["N° SIRET", "Nom"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (lambda c: b"%PDF-1.4 not a workbook", {}, "n'est pas un classeur XLSX"),
        (lambda c: b"SIRET;Avis\n", {}, "n'est pas un classeur XLSX"),
        (lambda c: _plain_workbook(), {}, "« Paramètres » absent"),
        (lambda c: c, {"call_id": "cnfs-2021-structures-privees"}, "générée pour l'appel"),
        (lambda c: c, {"call_id": None}, "vous importez pour tous les appels"),
        (
            lambda c: _with_parameter(c, f"call_version:{WAVE1}", "2020-11-01.0"),
            {},
            "version 2020-11-01.0 de l'appel",
        ),
        (lambda c: _with_parameter(c, "format_version", "1"), {}, "version ancienne du modèle"),
        (lambda c: _with_parameter(c, "department", "42"), {}, "celle du département « 42 »"),
    ],
)
def test_files_that_are_not_this_sheet_are_refused(session, pref93, apps, make, kwargs, message):
    content = make(download(session, pref93))
    preview = _preview(session, pref93, content, **kwargs)
    assert not preview.ok and preview.changes == []
    assert any(message in p.text() for p in preview.problems), [p.text() for p in preview.problems]


def test_import_outside_scope_or_by_a_reviewer_is_refused(session, pref93, reviewer, apps):
    content = download(session, pref93)
    with pytest.raises(prefecture.SheetNotFound):
        _preview(session, pref93, content, department="42")
    with pytest.raises(Forbidden):
        _preview(session, reviewer, content)


def test_admin_imports_on_behalf_of_the_prefecture(session, pref93, admin, reviewer, apps):
    ccas = siret_of(session, reviewer, apps.ccas_93)
    content = fill(download(session, admin), {ccas: {"Avis positif": "Oui"}})
    preview = _preview(session, admin, content)
    assert _confirm(session, admin, content, preview) == 1
    (change,) = opinions.list_changes(session=session, user=pref93, application_id=apps.ccas_93)
    assert change.actor_email == admin.email and change.new_count == 4  # empty: all posts


def test_an_opinion_given_after_the_preview_makes_the_confirmation_fail(
    session, pref93, reviewer, apps
):
    ccas = siret_of(session, reviewer, apps.ccas_93)
    content = fill(download(session, pref93), {ccas: {"Avis positif": "Oui"}})
    preview = _preview(session, pref93, content)
    opinions.record_opinion(
        session=session, user=pref93, application_id=apps.ccas_93,
        value=OpinionInput(opinion=Opinion.NEGATIVE, supported_count=0, comment="Hors maillage."),
        expected_version=0,
    )  # fmt: skip
    session.commit()
    with pytest.raises(ImportConflict):
        _confirm(session, pref93, content, preview)
    assert _history_count(session) == 1


@pytest.mark.skipif(not POSTGRES_URL, reason="CNFS_TEST_POSTGRES_URL non défini")
def test_two_concurrent_imports_of_the_same_sheet_record_it_once(
    database_url, engine, session, pref93, reviewer, apps
):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrence réelle : sur PostgreSQL")
    montreuil = siret_of(session, reviewer, apps.montreuil)
    ccas = siret_of(session, reviewer, apps.ccas_93)
    content = fill(
        download(session, pref93),
        {montreuil: {"Avis positif": "Oui"}, ccas: {"Avis positif": "Oui"}},
    )
    preview = _preview(session, pref93, content)
    session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def worker() -> None:
        with Session(engine, expire_on_commit=False) as own:
            barrier.wait()
            try:
                outcomes.append(_confirm(own, pref93, content, preview))
            except ImportConflict as exc:
                own.rollback()
                outcomes.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(map(type, outcomes), key=str) == sorted([int, ImportConflict], key=str)
    assert 2 in outcomes
    assert _history_count(session) == 2
    versions = session.execute(select(OpinionRow.version)).scalars().all()
    assert versions == [1, 1]


def test_problem_text_names_sheet_row_and_column():
    problem = sheet_import.Problem("Liste B", 14, "Avis positif", "« x » n'est pas une réponse.")
    assert (
        problem.text()
        == "Liste B, ligne 14, colonne « Avis positif » : « x » n'est pas une réponse."
    )


def test_a_sheet_saved_in_libreoffices_own_format_gets_the_french_way_out(session, pref93, apps):
    """LibreOffice saves as .ods by default: the prefecture is told how to save as .xlsx."""
    import io
    import zipfile

    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    preview = _preview(session, pref93, ods.getvalue())
    assert not preview.ok and preview.changes == []
    assert any("Enregistrer sous" in p.text() for p in preview.problems)


@pytest.mark.parametrize(
    "retyped",
    [
        lambda s: f"{s[:3]} {s[3:6]} {s[6:9]}/{s[9:]}",  # grouped, NIC after a slash
        lambda s: "".join(chr(ord(c) + 0xFEE0) for c in s),  # full-width digits (IME, copy)
    ],
)
def test_a_siret_retyped_in_the_sheet_is_read_as_the_portal_reads_it(
    session, pref93, reviewer, apps, retyped
):
    """The sheet's SIRET cell, typed over by the prefecture, is compacted like any SIRET
    typed into the portal (core.identifiers), not refused as « 14 chiffres attendus »."""
    ccas = siret_of(session, reviewer, apps.ccas_93)
    wb = openpyxl.load_workbook(io.BytesIO(download(session, pref93)))
    ws = wb["Liste A"]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "N° SIRET")
    columns = {ws.cell(header, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, 1).value == ccas)
    ws.cell(row, 1).value = retyped(ccas)
    ws.cell(row, columns["Avis positif"]).value = "Oui"
    out = io.BytesIO()
    wb.save(out)
    preview = _preview(session, pref93, out.getvalue())
    assert preview.problems == [], [p.text() for p in preview.problems]
    assert list(preview.frame()["Nouvel avis"]) == ["Avis positif"]
