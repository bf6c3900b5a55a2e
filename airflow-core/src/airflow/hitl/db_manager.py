"""Airflow external DB manager: ``airflow db migrate`` creates and upgrades the HITL tables.

Enable with ``[database] external_db_managers = airflow.hitl.db_manager.HITLDBManager``.
"""

from __future__ import annotations

import os

from alembic import command

from airflow.hitl.models import metadata
from airflow.utils.db_manager import BaseDBManager

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
VERSION_TABLE = "hitl_alembic_version"


class HITLDBManager(BaseDBManager):
    """Owns the ``hitl_*`` tables and their Alembic chain (version table ``hitl_alembic_version``)."""

    metadata = metadata
    migration_dir = os.path.join(PACKAGE_DIR, "migrations")
    alembic_file = os.path.join(PACKAGE_DIR, "migrations", "alembic.ini")
    version_table_name = VERSION_TABLE
    supports_table_dropping = True

    def initdb(self) -> None:
        # Always migrate (never create from the ORM): the migrations are the source of truth.
        self.upgradedb()

    def downgrade(self, to_version: str, from_version: str | None = None, show_sql_only: bool = False):
        """Downgrade the HITL tables to ``to_version`` (``base`` removes them)."""
        config = self.get_alembic_config()
        if show_sql_only and from_version:
            to_version = f"{from_version}:{to_version}"
        command.downgrade(config, revision=to_version, sql=show_sql_only)
