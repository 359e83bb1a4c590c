"""Uniqueness per SIRET *and* territory for calls that say so (Département 93 AMI).

A new column, unique_scope ("" for calls unique per SIRET alone, the territory otherwise),
joins the unique constraint on (call_id, siret). Existing rows get "" — or, for a call whose
file sets unique_per, the answer it names.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _sqlite_foreign_keys(on: bool) -> None:
    """SQLite rebuilds the table to change a constraint, and dropping the old copy would
    delete-check the rows that point at it (submissions, opinions…). PRAGMA foreign_keys is
    ignored inside a transaction: commit what is done (the database is then at 0008, complete),
    rebuild with the checks off, commit, turn them back on and check every reference."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    raw = bind.connection.dbapi_connection
    raw.commit()
    raw.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    if on:
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"0009 : références cassées après reconstruction : {broken[:5]}")


def upgrade() -> None:
    _sqlite_foreign_keys(on=False)
    with op.batch_alter_table("applications") as batch:
        batch.add_column(
            sa.Column("unique_scope", sa.String(20), nullable=False, server_default="")
        )
        batch.drop_constraint("uq_applications_call_siret", type_="unique")
        batch.create_unique_constraint(
            "uq_applications_call_siret_scope", ["call_id", "siret", "unique_scope"]
        )
    _sqlite_foreign_keys(on=True)
    from core.calls import load_calls
    from core.models import Application
    from core.storage import unique_scope

    scoped = [c.id for c in load_calls().values() if c.unique_per]
    if not scoped:
        return
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, data FROM applications WHERE call_id IN :ids").bindparams(
            sa.bindparam("ids", expanding=True)
        ),
        {"ids": scoped},
    ).all()
    updates = []
    for app_id, data in rows:
        scope = unique_scope(Application.model_validate(_json(data) or {}))
        if scope:
            updates.append({"id": app_id, "scope": scope})
    if updates:
        conn.execute(
            sa.text("UPDATE applications SET unique_scope = :scope WHERE id = :id"), updates
        )


def downgrade() -> None:
    # Two dossiers of one SIRET on two territories cannot both stay under the old constraint.
    _sqlite_foreign_keys(on=False)
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint("uq_applications_call_siret_scope", type_="unique")
        batch.create_unique_constraint("uq_applications_call_siret", ["call_id", "siret"])
        batch.drop_column("unique_scope")
    _sqlite_foreign_keys(on=True)
