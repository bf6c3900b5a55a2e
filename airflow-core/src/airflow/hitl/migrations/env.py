"""Alembic environment of the human-in-the-loop tables (own chain, own version table)."""

from __future__ import annotations

from alembic import context

from airflow import settings
from airflow.hitl.db_manager import VERSION_TABLE
from airflow.hitl.models import metadata


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        render_as_batch=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=settings.SQL_ALCHEMY_CONN, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    if settings.engine is None:
        settings.configure_orm()
    with settings.engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
