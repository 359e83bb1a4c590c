"""The territory boards of a call funding one project per territory within an envelope:
per territory, its dossiers, the budget asked against the share, the targets summed."""

from __future__ import annotations

import dataclasses

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calls import Call, TargetRule
from core.db import ApplicationRow
from core.review_access import calls_in_view, require_reviewer
from core.storage import User, read_conditions


@dataclasses.dataclass(frozen=True)
class TerritoryRow:
    """One territory of a call funding a project per territory: its dossiers and their sums."""

    territory_id: str
    label: str
    submitted: int
    drafts: int
    eligible: int  # submitted and recevable (verdict « eligible »)
    budget_eur: int  # requested by the submitted dossiers
    share_eur: int
    targets: dict[str, int]  # target id -> sum over the submitted dossiers

    @property
    def over_share(self) -> bool:
        return self.budget_eur > self.share_eur


@dataclasses.dataclass(frozen=True)
class TerritoryBoard:
    """The per-territory roll-up of one call with territories and an envelope."""

    call: Call
    rows: list[TerritoryRow]

    @property
    def targets(self) -> list[TargetRule]:
        return self.call.targets


NO_TERRITORY = "Territoire non renseigné"


def territory_boards(
    *, session: Session, user: User, call_id: str | None = None
) -> list[TerritoryBoard]:
    """Per territory: dossiers, recevables, budget against the share, targets summed.

    Only for readable calls that have territories and an envelope (from the call data); the
    figures come from the applications' answers, read through the same scope conditions.
    """
    require_reviewer(user)
    boards = []
    for call in calls_in_view(user, call_id):
        if not call.territories or call.envelope is None:
            continue
        a = ApplicationRow
        rows = session.execute(
            select(a.status, a.verdict_status, a.data).where(
                a.call_id == call.id, a.deleted_at.is_(None), *read_conditions(user)
            )
        ).all()
        records = []
        for status, verdict, data in rows:
            project = (data or {}).get("project") or {}
            targets = project.get("targets") or {}
            record = {
                "territory": project.get("territory") or "",
                "submitted": int(status == "submitted"),
                "drafts": int(status == "draft"),
                "eligible": int(status == "submitted" and verdict == "eligible"),
            }
            # Sums of what was filed: drafts still change, so they count as dossiers only.
            filed = status == "submitted"
            record["budget_eur"] = _whole(project.get("budget_eur")) if filed else 0
            for target in call.targets:
                record[target.id] = _whole(targets.get(target.id)) if filed else 0
            records.append(record)
        columns = ["territory", "submitted", "drafts", "eligible", "budget_eur"]
        columns += [t.id for t in call.targets]
        frame = pd.DataFrame.from_records(records, columns=columns)
        known = [(t.id, t.label) for t in call.territories]
        # Drafts not placed yet (or an id the call no longer has) go on one last line.
        frame.loc[~frame["territory"].isin([t for t, _ in known]), "territory"] = ""
        if (frame["territory"] == "").any():
            known.append(("", NO_TERRITORY))
        sums = frame.groupby("territory").sum().reindex([t for t, _ in known], fill_value=0)
        board_rows = [
            TerritoryRow(
                territory_id=territory_id,
                label=label,
                submitted=int(sums.at[territory_id, "submitted"]),
                drafts=int(sums.at[territory_id, "drafts"]),
                eligible=int(sums.at[territory_id, "eligible"]),
                budget_eur=int(sums.at[territory_id, "budget_eur"]),
                share_eur=call.envelope.share_eur,
                targets={t.id: int(sums.at[territory_id, t.id]) for t in call.targets},
            )
            for territory_id, label in known
        ]
        boards.append(TerritoryBoard(call=call, rows=board_rows))
    return boards


def _whole(value: object) -> int:
    """An answer summed as a figure: a missing or odd value counts as zero."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value)
