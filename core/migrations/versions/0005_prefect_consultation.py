"""Prefect consultation: prefecture accounts' departments, opinions and their history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_departments",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_departments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "department", name=op.f("pk_user_departments")),
    )
    op.create_table(
        "opinions",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("opinion", sa.String(length=20), nullable=False),
        sa.Column("supported_count", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_opinions_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_opinions_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_opinions")),
    )
    with op.batch_alter_table("opinions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opinions_opinion"), ["opinion"], unique=False)
    op.create_table(
        "opinion_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("old_opinion", sa.String(length=20), nullable=True),
        sa.Column("old_count", sa.Integer(), nullable=True),
        sa.Column("old_comment", sa.Text(), nullable=True),
        sa.Column("new_opinion", sa.String(length=20), nullable=False),
        sa.Column("new_count", sa.Integer(), nullable=False),
        sa.Column("new_comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_opinion_changes_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_opinion_changes_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opinion_changes")),
    )
    with op.batch_alter_table("opinion_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opinion_changes_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("opinion_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opinion_changes_application_id"))
    op.drop_table("opinion_changes")
    with op.batch_alter_table("opinions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opinions_opinion"))
    op.drop_table("opinions")
    op.drop_table("user_departments")
