"""Migrated databases (SQLite and PostgreSQL) without running Airflow components."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import AirflowStack, StackConfig, require_postgres

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AirflowStack]:
    """One migrated database per kind, shared by the tests that seed their own rows into it."""
    if request.param == "postgres":
        require_postgres("the database tests on PostgreSQL")
    stack = AirflowStack(StackConfig(f"db-{request.param}", request.param), tmp_path_factory.mktemp("db"))
    stack.prepare()
    yield stack
    stack.drop_database()
