"""Reviewer accounts scoped by call: the calls each reviewer may read.

Existing reviewers keep what they saw: every call shipped before this revision (the two CNFS
calls), written out here because a migration must not depend on the call files of a later
release (the Département 93 call arrives with this one and is not theirs).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CALLS_BEFORE_0010 = ("cnfs-2020-collectivites", "cnfs-2021-structures-privees")


def upgrade() -> None:
    op.create_table(
        "user_calls",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_calls_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "call_id", name=op.f("pk_user_calls")),
    )
    conn = op.get_bind()
    reviewers = conn.execute(sa.text("SELECT id FROM users WHERE role = 'reviewer'")).scalars()
    rows = [{"user_id": uid, "call_id": call} for uid in reviewers for call in CALLS_BEFORE_0010]
    if rows:
        conn.execute(
            sa.text("INSERT INTO user_calls (user_id, call_id) VALUES (:user_id, :call_id)"), rows
        )


def downgrade() -> None:
    op.drop_table("user_calls")
