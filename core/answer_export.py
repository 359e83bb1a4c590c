"""Every answer of the filtered applications, one column per question of the questionnaire,
in the words of the recap and the PDF (core.questionnaire.answer_text)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy.orm import Session

from core import questionnaire, rules
from core.calls import load_calls
from core.exports import french_csv
from core.review_listing import ReviewFilters, answer_rows
from core.storage import User

ID_HEADER, DOSSIER_HEADER, CALL_HEADER = "N° de candidature", "N° de dossier", "Appel"


def answers_frame(*, session: Session, user: User, filters: ReviewFilters) -> pd.DataFrame:
    """One row per application; a question not asked of it stays empty."""
    calls = load_calls()
    headers: dict[str, str] = {}  # path -> header, in form order of the first call met
    records = []
    for app_id, call_id, dossier_number, data in answer_rows(
        session=session, user=user, filters=filters
    ):
        call = calls.get(call_id)
        if call is None:
            continue
        application, _ = rules.coerce_application(data)
        for q in questionnaire.questions(call):
            headers.setdefault(q.path, q.column)
        record = {ID_HEADER: app_id, DOSSIER_HEADER: dossier_number, CALL_HEADER: call.short_title}
        for q in questionnaire.applicable(application, call):
            value = questionnaire.value_at(application, q.path)
            record[q.path] = questionnaire.answer_text(q, call, value, formatted=False)
        records.append(record)
    columns = [ID_HEADER, DOSSIER_HEADER, CALL_HEADER, *headers]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return frame.rename(columns=headers)


def answers_csv(*, session: Session, user: User, filters: ReviewFilters) -> tuple[bytes, int]:
    """The detailed answers as French CSV; returns (bytes, row count)."""
    frame = answers_frame(session=session, user=user, filters=filters)
    return french_csv(frame), len(frame)
