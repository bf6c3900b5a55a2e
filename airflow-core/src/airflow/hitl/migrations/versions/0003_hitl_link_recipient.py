"""Prepared links made for one person: the user id a link acts for (none for a channel's link).

Revision ID: hitl_0003
Revises: hitl_0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "hitl_0003"
down_revision = "hitl_0002"
branch_labels = None
depends_on = None

ID_LEN = 250


def upgrade() -> None:
    with op.batch_alter_table("hitl_link_token") as batch:
        batch.add_column(sa.Column("recipient", sa.String(ID_LEN), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hitl_link_token") as batch:
        batch.drop_column("recipient")
