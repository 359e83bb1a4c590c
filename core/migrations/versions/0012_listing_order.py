"""The reviewer listing on this table alone: the submission's date copied onto its application,
an index for the listing's filters (its count) and, on PostgreSQL, one for its default order.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# As in core.db.LISTING_FILTER_COLUMNS at this revision (a migration never imports the models).
FILTER_COLUMNS = (
    "call_id",
    "status",
    "verdict_status",
    "department",
    "structure_type",
    "qpv",
    "france_services",
    "coordinator_count",
)
NOT_DELETED = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
    # Submitted applications only: drafts, most rows, are left as they are (NULL).
    op.execute(
        "UPDATE applications SET submitted_at = (SELECT s.submitted_at FROM submissions s "
        "WHERE s.application_id = applications.id) "
        "WHERE id IN (SELECT application_id FROM submissions)"
    )
    op.create_index(
        "ix_applications_listing_filters",
        "applications",
        list(FILTER_COLUMNS),
        postgresql_where=NOT_DELETED,
        sqlite_where=NOT_DELETED,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_applications_submitted_order",
            "applications",
            [sa.text("submitted_at DESC NULLS LAST"), "id"],
            postgresql_where=NOT_DELETED,
        )
        # The planner's statistics know the new column at once, not after autovacuum's turn.
        op.execute("ANALYZE applications")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_applications_submitted_order", table_name="applications")
    op.drop_index("ix_applications_listing_filters", table_name="applications")
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("submitted_at")
