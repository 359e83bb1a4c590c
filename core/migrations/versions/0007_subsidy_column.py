"""The verdict's subsidy in a column, so every total reads what the rules computed.

Submitted applications take it from their frozen verdict; drafts from today's verdict of their
answers (as their verdict_status does at each save).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 2_000


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("subsidy_eur", sa.Integer(), nullable=True))
    conn = op.get_bind()
    updates = [
        {"id": row[0], "eur": _json(row[1]).get("subsidy_eur")}
        for row in conn.execute(
            sa.text(
                "SELECT a.id, s.verdict FROM applications a "
                "JOIN submissions s ON s.application_id = a.id"
            )
        )
    ]
    drafts = conn.execute(
        sa.text("SELECT id, call_id, data FROM applications WHERE status = 'draft'")
    ).all()
    if drafts:
        from core import clock, rules
        from core.calls import load_calls

        calls, today = load_calls(), clock.today()
        for app_id, call_id, data in drafts:
            call = calls.get(call_id)
            if call is not None:
                eur = rules.evaluate(_json(data), call, today).subsidy_eur
                updates.append({"id": app_id, "eur": eur})
    update = sa.text("UPDATE applications SET subsidy_eur = :eur WHERE id = :id")
    for start in range(0, len(updates), BATCH):
        chunk = [u for u in updates[start : start + BATCH] if u["eur"] is not None]
        if chunk:
            conn.execute(update, chunk)


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("subsidy_eur")
