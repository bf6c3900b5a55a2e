"""The request lifecycle: a lease for the background work, an index that serves the inbox's filters
and sort (with whether a request is assigned at all), answers that the deadline overtook.

Revision ID: hitl_0002
Revises: hitl_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow.utils.sqlalchemy import UtcDateTime

revision = "hitl_0002"
down_revision = "hitl_0001"
branch_labels = None
depends_on = None

ID_LEN = 250


def upgrade() -> None:
    with op.batch_alter_table("hitl_request") as batch:
        batch.add_column(sa.Column("has_assignees", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("undelivered_answer", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE hitl_request SET has_assignees = "
        "EXISTS (SELECT 1 FROM hitl_request_assignee a WHERE a.request_id = hitl_request.id)"
    )
    op.create_index(
        "idx_hitl_request_inbox",
        "hitl_request",
        ["status", "dag_id", "has_assignees", "created_at", "id"],
    )
    op.create_index("idx_hitl_request_status_dag_id", "hitl_request", ["status", "dag_id"])
    op.create_table(
        "hitl_lease",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(ID_LEN), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("renewed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="hitl_lease_pkey"),
    )


def downgrade() -> None:
    op.drop_table("hitl_lease")
    op.drop_index("idx_hitl_request_status_dag_id", table_name="hitl_request")
    op.drop_index("idx_hitl_request_inbox", table_name="hitl_request")
    with op.batch_alter_table("hitl_request") as batch:
        batch.drop_column("undelivered_answer")
        batch.drop_column("has_assignees")
