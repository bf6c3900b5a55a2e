"""Create the human-in-the-loop tables.

Revision ID: hitl_0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow.utils.sqlalchemy import UtcDateTime

revision = "hitl_0001"
down_revision = None
branch_labels = None
depends_on = None

ID_LEN = 250


def upgrade() -> None:
    op.create_table(
        "hitl_request",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ti_id", sa.String(36), nullable=False),
        sa.Column("dag_id", sa.String(ID_LEN), nullable=False),
        sa.Column("run_id", sa.String(ID_LEN), nullable=False),
        sa.Column("task_id", sa.String(ID_LEN), nullable=False),
        sa.Column("map_index", sa.Integer(), nullable=False),
        sa.Column("try_number", sa.Integer(), nullable=False),
        sa.Column("trigger_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("defaults", sa.JSON(), nullable=True),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("assigned_users", sa.JSON(), nullable=False),
        sa.Column("assigned_groups", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("deferred_at", UtcDateTime(), nullable=False),
        sa.Column("deadline", UtcDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closed_ti_state", sa.String(20), nullable=True),
        sa.Column("responded_at", UtcDateTime(), nullable=True),
        sa.Column("responded_by_id", sa.String(ID_LEN), nullable=True),
        sa.Column("responded_by_name", sa.String(ID_LEN), nullable=True),
        sa.Column("chosen_options", sa.JSON(), nullable=True),
        sa.Column("params_input", sa.JSON(), nullable=True),
        sa.Column("response_channel", sa.String(16), nullable=True),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("resume_due_at", UtcDateTime(), nullable=True),
        sa.Column("resumed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="hitl_request_pkey"),
        sa.UniqueConstraint(
            "dag_id",
            "run_id",
            "task_id",
            "map_index",
            "try_number",
            name="hitl_request_dag_id_run_id_task_id_map_index_try_number_uq",
        ),
    )
    op.create_index("idx_hitl_request_ti_id", "hitl_request", ["ti_id"])
    op.create_index("idx_hitl_request_status_created", "hitl_request", ["status", "created_at"])
    op.create_index("idx_hitl_request_status_deadline", "hitl_request", ["status", "deadline"])
    op.create_index("idx_hitl_request_resume_due_at", "hitl_request", ["resume_due_at"])

    op.create_table(
        "hitl_request_assignee",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("principal", sa.String(ID_LEN), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "kind", "principal", name="hitl_request_assignee_pkey"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["hitl_request.id"],
            name="hitl_request_assignee_request_id_fkey",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "idx_hitl_assignee_principal", "hitl_request_assignee", ["kind", "principal", "request_id"]
    )

    op.create_table(
        "hitl_group",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(ID_LEN), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("follows_role", sa.String(ID_LEN), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="hitl_group_pkey"),
        sa.UniqueConstraint("name", name="hitl_group_name_uq"),
    )
    op.create_table(
        "hitl_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(ID_LEN), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="hitl_group_member_pkey"),
        sa.ForeignKeyConstraint(
            ["group_id"], ["hitl_group.id"], name="hitl_group_member_group_id_fkey", ondelete="CASCADE"
        ),
    )
    op.create_index("idx_hitl_group_member_user", "hitl_group_member", ["user_id", "group_id"])

    op.create_table(
        "hitl_link_token",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("chosen_options", sa.JSON(), nullable=True),
        sa.Column("params_input", sa.JSON(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="hitl_link_token_pkey"),
        sa.UniqueConstraint("token_hash", name="hitl_link_token_token_hash_uq"),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["hitl_request.id"],
            name="hitl_link_token_request_id_fkey",
            ondelete="CASCADE",
        ),
    )
    op.create_index("idx_hitl_link_token_request_id", "hitl_link_token", ["request_id"])


def downgrade() -> None:
    op.drop_table("hitl_link_token")
    op.drop_table("hitl_group_member")
    op.drop_table("hitl_group")
    op.drop_table("hitl_request_assignee")
    op.drop_table("hitl_request")
