"""Files joined to applications (letters of support, budgets…), stored in the database so that
every instance of the app reads the same ones, on SQLite and PostgreSQL alike.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name="fk_attachment_files_application_id_applications",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name="fk_attachment_files_uploaded_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachment_files"),
        sa.UniqueConstraint("application_id", "sha256", name="uq_attachment_files_application_sha"),
    )
    op.create_index("ix_attachment_files_application_id", "attachment_files", ["application_id"])


def downgrade() -> None:
    op.drop_index("ix_attachment_files_application_id", table_name="attachment_files")
    op.drop_table("attachment_files")
