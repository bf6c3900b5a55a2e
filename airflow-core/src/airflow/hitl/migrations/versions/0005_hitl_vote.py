"""Quorum: one vote per person and request (``required_approvals``), unique per request and user.

Revision ID: hitl_0005
Revises: hitl_0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from airflow.utils.sqlalchemy import UtcDateTime

revision = "hitl_0005"
down_revision = "hitl_0004"
branch_labels = None
depends_on = None

ID_LEN = 250


def upgrade() -> None:
    op.create_table(
        "hitl_vote",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(ID_LEN), nullable=False),
        sa.Column("user_name", sa.String(ID_LEN), nullable=False),
        sa.Column("chosen_option", sa.Text(), nullable=False),
        sa.Column("params_input", sa.JSON(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False),
        sa.Column("voted_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="hitl_vote_pkey"),
        sa.ForeignKeyConstraint(
            ["request_id"], ["hitl_request.id"], name="hitl_vote_request_id_fkey", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("request_id", "user_id", name="hitl_vote_request_id_user_id_uq"),
    )


def downgrade() -> None:
    op.drop_table("hitl_vote")
