"""Answer policies and comments: the request's policy (comments needed, who is kept out), who
triggered its DAG run (for ``allow_self_approval=False``), and the comment given with the answer.

Revision ID: hitl_0004
Revises: hitl_0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hitl_0004"
down_revision = "hitl_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hitl_request") as batch:
        batch.add_column(sa.Column("policy", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("run_creators", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hitl_request") as batch:
        batch.drop_column("comment")
        batch.drop_column("run_creators")
        batch.drop_column("policy")
