"""The filled prefect's sheet comes back: read, checked, previewed, then recorded all at once.

The sheet is the portal's own XLSX (core.exports.prefect_sheet_xlsx) as saved by Excel or
LibreOffice. Its hidden « Paramètres » sheet names the format, the department and the call
versions. Every problem is listed with its sheet, row and column; nothing is recorded while one
remains; confirming re-reads the file in the recording transaction and refuses if anything
changed since the preview; re-importing the same file changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import zipfile
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.fr import siret as stdnum_siret

from core import clock, exports, identifiers, opinions, prefecture
from core.calls import Call, get_call
from core.db import ApplicationRow, OpinionRow, SubmissionRow
from core.opinions import Opinion, OpinionInput, opinion_label
from core.storage import User

MAX_FILE_BYTES = 10 * 1024 * 1024
LIST_SHEETS = {"Liste A": True, "Liste B": False}  # sheet title -> public (list A)
AVIS, COUNT, EXAMEN, COMMENT = (
    "Avis positif",
    "Nombre de conseillers numériques",
    "Examen complémentaire",
    "Commentaire",
)


class ImportRefused(Exception):
    """The file has problems; nothing was recorded."""

    def __init__(self, preview: ImportPreview) -> None:
        self.preview = preview
        super().__init__(
            f"Import refusé : {len(preview.problems)} problème(s) à corriger dans la fiche ; "
            "rien n'a été enregistré."
        )


class ImportConflict(Exception):
    def __init__(self) -> None:
        super().__init__(
            "Des avis de cette fiche ont changé depuis l'aperçu (un autre import ou un avis "
            "donné à l'écran) : rien n'a été enregistré. Importez de nouveau la fiche pour voir "
            "l'aperçu à jour."
        )


@dataclasses.dataclass(frozen=True)
class Problem:
    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def text(self) -> str:
        """« Liste A, ligne 12, colonne « Avis positif » : … »."""
        where = []
        if self.sheet:
            where.append(self.sheet)
        if self.row:
            where.append(f"ligne {self.row}")
        if self.column:
            where.append(f"colonne « {self.column} »")
        return f"{', '.join(where)} : {self.message}" if where else self.message


@dataclasses.dataclass(frozen=True)
class PlannedChange:
    application_id: int
    dossier_number: str
    siret: str
    name: str
    sheet: str
    row: int
    old: tuple[str, int, str] | None
    new: OpinionInput
    expected_version: int  # 0: no opinion yet


@dataclasses.dataclass(frozen=True)
class ImportPreview:
    file_name: str
    sha256: str
    department: str
    problems: list[Problem]
    changes: list[PlannedChange]
    unchanged: int = 0
    blank: int = 0
    call_id: str | None = None
    # What was read from the file, so confirming re-checks it without parsing the XLSX again.
    layout_problems: list[Problem] = dataclasses.field(default_factory=list, repr=False)
    rows: list[_SheetRow] = dataclasses.field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def fingerprint(self) -> str:
        """Identifies what confirming would record, against the opinions it was computed on."""
        digest = hashlib.sha256(self.sha256.encode())
        for c in self.changes:
            digest.update(
                f"|{c.application_id}:{c.expected_version}:{c.new.opinion.value}:"
                f"{c.new.supported_count}:{c.new.comment}".encode()
            )
        return digest.hexdigest()

    def frame(self) -> pd.DataFrame:
        """The changes, row by row, in French, for the preview screen."""
        return pd.DataFrame(
            [
                {
                    "Onglet": c.sheet,
                    "Ligne": c.row,
                    "SIRET": c.siret,
                    "Structure": c.name,
                    "Avis actuel": opinion_label(c.old[0] if c.old else None),
                    "Nouvel avis": opinion_label(c.new.opinion),
                    "Conseillers soutenus": (
                        f"{c.old[1]} → {c.new.supported_count}"
                        if c.old
                        else str(c.new.supported_count)
                    ),
                    "Commentaire": c.new.comment,
                }
                for c in self.changes
            ],
            columns=[
                "Onglet",
                "Ligne",
                "SIRET",
                "Structure",
                "Avis actuel",
                "Nouvel avis",
                "Conseillers soutenus",
                "Commentaire",
            ],
        )


@dataclasses.dataclass(frozen=True)
class _Target:
    application_id: int
    call_id: str
    dossier_number: str
    name: str
    posts: int
    submitted_at: dt.datetime
    current: tuple[str, int, str] | None
    version: int


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _siret_text(value: Any) -> str:
    # A SIRET typed into a number cell comes back as an int (leading zeros lost).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)).zfill(14)
    return identifiers.compact_siret(_text(value))  # as a SIRET typed into the portal


def _yes_no(value: Any) -> bool | None | str:
    """True / False / None (empty), or the offending text."""
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if not text:
        return None
    if text == "oui":
        return True
    if text == "non":
        return False
    return _text(value)


def _count(value: Any) -> int | None | str:
    """An integer, None (empty), or the offending text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else _text(value)
    text = _text(value)
    return int(text) if text.lstrip("-").isdigit() else text


def _parameters(wb: Any) -> dict[str, str]:
    ws = wb[exports.PARAMETERS_SHEET]
    return {
        _text(row[0]): _text(row[1])
        for row in ws.iter_rows(min_row=1, max_col=2, values_only=True)
        if row and row[0] is not None
    }


def _check_parameters(
    params: dict[str, str], *, department: str, call_id: str | None
) -> list[Problem]:
    where = exports.PARAMETERS_SHEET
    if params.get("format") != exports.SHEET_FORMAT:
        return [Problem(None, None, None, "Ce classeur n'est pas une fiche préfet du portail.")]
    if params.get("format_version") != exports.SHEET_FORMAT_VERSION:
        return [
            Problem(
                None,
                None,
                None,
                f"Cette fiche suit une version ancienne du modèle ({params.get('format_version')}"
                f" ; version en vigueur : {exports.SHEET_FORMAT_VERSION}) : téléchargez une "
                "nouvelle fiche et reportez-y vos avis.",
            )
        ]
    found: list[Problem] = []
    if params.get("department") != department:
        found.append(
            Problem(
                where,
                None,
                None,
                f"Cette fiche est celle du département « {params.get('department')} » ; vous "
                f"importez pour le département {department}. Choisissez le bon département ou "
                "la bonne fiche.",
            )
        )
    expected_call = call_id or "*"
    if params.get("call_id") != expected_call:
        found.append(
            Problem(
                where,
                None,
                None,
                f"Cette fiche a été générée pour {_call_name(params.get('call_id'))} ; vous "
                f"importez pour {_call_name(expected_call)}. Choisissez le même appel qu'au "
                "téléchargement.",
            )
        )
    for key, version in params.items():
        if not key.startswith("call_version:"):
            continue
        sheet_call = key.split(":", 1)[1]
        try:
            current = get_call(sheet_call).version
        except KeyError:
            found.append(Problem(where, None, None, f"Appel inconnu : « {sheet_call} »."))
            continue
        if version != current:
            found.append(
                Problem(
                    where,
                    None,
                    None,
                    f"Cette fiche a été générée pour la version {version} de l'appel "
                    f"« {get_call(sheet_call).short_title} » ; la version en vigueur est "
                    f"{current} : téléchargez une nouvelle fiche et reportez-y vos avis.",
                )
            )
    return found


def _call_name(call_id: str | None) -> str:
    if call_id == "*":
        return "tous les appels"
    try:
        return f"l'appel « {get_call(call_id or '').short_title} »"
    except KeyError:
        return f"un appel inconnu (« {call_id} »)"


def _targets(
    session: Session, user: User, department: str, call_id: str | None
) -> dict[str, list[_Target]]:
    """The department's submitted applications by SIRET, with their opinion in force."""
    a, s, o = ApplicationRow, SubmissionRow, OpinionRow
    calls = [c.id for c in prefecture.consulted_calls(call_id)]
    rows = session.execute(
        select(
            a.id,
            a.call_id,
            s.dossier_number,
            a.structure_name,
            a.posts_count,
            s.submitted_at,
            a.siret,
            o.opinion,
            o.supported_count,
            o.comment,
            o.version,
        )
        .join(s, s.application_id == a.id)
        .outerjoin(o, o.application_id == a.id)
        .where(
            a.department == department,
            a.status == "submitted",
            a.call_id.in_(calls),
            *prefecture.scope_conditions(user),
        )
        .execution_options(populate_existing=True)
    ).all()
    targets: dict[str, list[_Target]] = {}
    for r in rows:
        if r.siret is None:
            continue
        targets.setdefault(r.siret, []).append(
            _Target(
                application_id=r.id,
                call_id=r.call_id,
                dossier_number=r.dossier_number,
                name=r.structure_name or "",
                posts=r.posts_count or 0,
                submitted_at=r.submitted_at,
                current=(r.opinion, r.supported_count, r.comment) if r.opinion else None,
                version=r.version or 0,
            )
        )
    return targets


def preview_import(
    *,
    session: Session,
    user: User,
    content: bytes,
    file_name: str,
    department: str,
    call_id: str | None = None,
    today: dt.date | None = None,
) -> ImportPreview:
    """What importing this file would change, or every problem that prevents it."""
    opinions.require_writer(user)
    prefecture.check_department(user, department)
    today = today or clock.today()
    sha256 = hashlib.sha256(content).hexdigest()

    def refused(*problems: Problem) -> ImportPreview:
        return ImportPreview(file_name, sha256, department, list(problems), [])

    if len(content) > MAX_FILE_BYTES:
        return refused(
            Problem(None, None, None, "Le fichier dépasse 10 Mo : ce n'est pas une fiche préfet.")
        )
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        return refused(
            Problem(
                None,
                None,
                None,
                f"« {file_name} » n'est pas un classeur XLSX lisible. Enregistrez la fiche au "
                "format Excel (.xlsx) — dans LibreOffice : Fichier > Enregistrer sous > "
                "« Excel 2007-365 » — puis importez-la de nouveau.",
            )
        )
    try:
        if exports.PARAMETERS_SHEET not in wb.sheetnames:
            return refused(
                Problem(
                    None,
                    None,
                    None,
                    "Ce classeur n'est pas une fiche préfet générée par le portail (onglet "
                    "caché « Paramètres » absent) : téléchargez la fiche de votre département "
                    "et remplissez-la.",
                )
            )
        problems = _check_parameters(_parameters(wb), department=department, call_id=call_id)
        if problems:
            return refused(*problems)
        layout_problems, rows = _parse_lists(wb)
        return _plan(
            session,
            user,
            file_name=file_name,
            sha256=sha256,
            department=department,
            call_id=call_id,
            layout_problems=layout_problems,
            rows=rows,
            today=today,
        )
    finally:
        wb.close()


@dataclasses.dataclass(frozen=True)
class _SheetRow:
    sheet: str
    number: int
    cells: tuple[Any, ...]
    columns: dict[str, int]


def _parse_lists(wb: Any) -> tuple[list[Problem], list[_SheetRow]]:
    """The rows of lists A and B under their header row (problems with the layout itself)."""
    problems: list[Problem] = []
    parsed: list[_SheetRow] = []
    for title, public in LIST_SHEETS.items():
        if title not in wb.sheetnames:
            problems.append(
                Problem(title, None, None, "Onglet absent : ne renommez pas les onglets.")
            )
            continue
        headers = exports.sheet_headers(public=public)
        rows = wb[title].iter_rows(values_only=True)
        header_row = 0
        for number, values in enumerate(rows, start=1):
            if values and _text(values[0]) == headers[0]:
                header_row = number
                found = [_text(v) for v in values[: len(headers)]]
                if found != headers:
                    problems.append(
                        Problem(
                            title,
                            number,
                            None,
                            "Les titres de colonnes ont été modifiés : remettez-les tels que "
                            f"dans la fiche téléchargée ({' | '.join(headers)}).",
                        )
                    )
                    header_row = -1
                break
        if header_row <= 0:
            if header_row == 0:
                problems.append(
                    Problem(title, None, None, f"Ligne de titres « {headers[0]} » introuvable.")
                )
            continue
        col = {h: i for i, h in enumerate(headers)}
        for number, values in enumerate(rows, start=header_row + 1):
            cells = tuple(values[: len(headers)]) + (None,) * (len(headers) - len(values))
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
                break  # the table ends at the first empty row
            parsed.append(_SheetRow(title, number, cells, col))
    return problems, parsed


def _plan(
    session: Session,
    user: User,
    *,
    file_name: str,
    sha256: str,
    department: str,
    call_id: str | None,
    layout_problems: list[Problem],
    rows: list[_SheetRow],
    today: dt.date,
) -> ImportPreview:
    """What the parsed rows would change against the opinions in force now."""
    targets = _targets(session, user, department, call_id)
    calls: dict[str, Call] = {}
    problems = list(layout_problems)
    changes: list[PlannedChange] = []
    unchanged = blank = 0
    seen: dict[int, str] = {}
    for row in rows:
        row_problems, outcome = _read_row(
            row.sheet, row.number, list(row.cells), row.columns, targets, calls, seen, today
        )
        problems.extend(row_problems)
        if outcome == "blank":
            blank += 1
        elif outcome == "unchanged":
            unchanged += 1
        elif isinstance(outcome, PlannedChange):
            changes.append(outcome)
    return ImportPreview(
        file_name,
        sha256,
        department,
        problems,
        changes,
        unchanged,
        blank,
        call_id=call_id,
        layout_problems=layout_problems,
        rows=rows,
    )


def _read_row(
    title: str,
    number: int,
    cells: list[Any],
    col: dict[str, int],
    targets: dict[str, list[_Target]],
    calls: dict[str, Call],
    seen: dict[int, str],
    today: dt.date,
) -> tuple[list[Problem], Any]:
    found: list[Problem] = []

    def problem(column: str | None, message: str) -> None:
        found.append(Problem(title, number, column, message))

    siret = _siret_text(cells[col["N° SIRET"]])
    target: _Target | None = None
    if not siret:
        problem("N° SIRET", "SIRET manquant : ne videz pas cette colonne.")
    elif not identifiers.is_ascii_digits(siret, 14):
        problem("N° SIRET", f"SIRET mal saisi (« {siret} ») : 14 chiffres attendus.")
    elif not stdnum_siret.is_valid(siret):
        problem("N° SIRET", f"SIRET mal saisi (« {siret} ») : la clé de contrôle est fausse.")
    elif siret not in targets:
        problem(
            "N° SIRET",
            f"SIRET {siret} absent des candidatures déposées de ce département pour cet appel "
            "(structure d'un autre département, ou numéro mal recopié).",
        )
    else:
        candidates = targets[siret]
        dossier = _text(cells[col["N° de dossier"]])
        if len(candidates) > 1:
            candidates = [t for t in candidates if t.dossier_number == dossier]
        if len(candidates) != 1:
            problem("N° de dossier", "Ce SIRET a plusieurs dossiers : gardez le n° de dossier.")
        else:
            target = candidates[0]
            if target.application_id in seen:
                problem(
                    "N° SIRET",
                    f"Cette structure figure déjà à la {seen[target.application_id]} : "
                    "gardez une seule ligne par structure.",
                )
                target = None
            else:
                seen[target.application_id] = f"ligne {number} ({title})"

    positive = _yes_no(cells[col[AVIS]])
    further = _yes_no(cells[col[EXAMEN]])
    for column, value in ((AVIS, positive), (EXAMEN, further)):
        if isinstance(value, str):
            problem(column, f"« {value} » n'est pas une réponse : indiquez Oui ou Non.")
    count = _count(cells[col[COUNT]])
    if isinstance(count, str):
        problem(COUNT, f"« {count} » n'est pas un nombre entier de conseillers.")
    comment = _text(cells[col[COMMENT]])
    if found:
        return found, None

    if further is True and positive is True:
        problem(
            EXAMEN,
            "« Oui » à la fois pour l'avis positif et l'examen complémentaire : "
            "choisissez l'un des deux.",
        )
        return found, None
    if further is True:
        opinion = Opinion.FURTHER_EXAMINATION
    elif positive is True:
        opinion = Opinion.POSITIVE
    elif positive is False:
        opinion = Opinion.NEGATIVE
    else:
        if count is not None or comment:
            problem(AVIS, "Avis manquant : indiquez Oui ou Non (ou videz la ligne).")
            return found, None
        return found, "blank"
    assert target is not None
    if count is None:
        count = target.posts if opinion == Opinion.POSITIVE else 0
    value = OpinionInput(opinion=opinion, supported_count=count, comment=comment).cleaned()
    if count < 0 or count > target.posts:
        problem(COUNT, f"{count} conseillers : entre 0 et {target.posts} (postes demandés).")
    elif opinion == Opinion.NEGATIVE and count != 0:
        problem(COUNT, "Un avis négatif ne soutient aucun poste : indiquez 0 ou laissez vide.")
    for message in opinions.problems(value, target.posts):
        if "commentaire" in message.lower():
            problem(COMMENT, message)
    if found:
        return found, None
    new = (value.opinion.value, value.supported_count, value.comment)
    if target.current == new:
        return found, "unchanged"
    call = calls.setdefault(target.call_id, get_call(target.call_id))
    item = opinions.consultation_list(call, target.submitted_at)
    if item is not None and today > item.opinions_until:
        problem(AVIS, str(opinions.OpinionClosed(item.opinions_until)))
        return found, None
    return found, PlannedChange(
        application_id=target.application_id,
        dossier_number=target.dossier_number,
        siret=siret,
        name=target.name,
        sheet=title,
        row=number,
        old=target.current,
        new=value,
        expected_version=target.version,
    )


def confirm_import(
    *,
    session: Session,
    user: User,
    preview: ImportPreview,
    today: dt.date | None = None,
) -> int:
    """Record a preview's changes in the caller's transaction, all or nothing; returns how many
    opinions changed. The rows read from the file are checked again against the opinions in
    force inside this transaction: ImportConflict if anything moved since the preview."""
    opinions.require_writer(user)
    prefecture.check_department(user, preview.department)
    if not preview.ok:
        raise ImportRefused(preview)
    fresh = _plan(
        session,
        user,
        file_name=preview.file_name,
        sha256=preview.sha256,
        department=preview.department,
        call_id=preview.call_id,
        layout_problems=preview.layout_problems,
        rows=preview.rows,
        today=today or clock.today(),
    )
    if not fresh.ok:
        raise ImportRefused(fresh)
    if fresh.fingerprint != preview.fingerprint:
        raise ImportConflict()
    if not fresh.changes:
        return 0
    try:
        opinions.write_opinions(
            session,
            user=user,
            changes=[(c.application_id, c.new, c.old, c.expected_version) for c in fresh.changes],
            source="file",
            file_name=preview.file_name[:255],
            file_sha256=preview.sha256,
            at=clock.now(),
        )
        session.flush()
    except opinions.OpinionConflict:
        session.rollback()
        raise ImportConflict() from None
    return len(fresh.changes)
