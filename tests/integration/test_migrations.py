"""The HITL tables' Alembic chain on real databases: `airflow db migrate`, downgrade, upgrade."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import SQLITE, AirflowStack, StackConfig, require_postgres

if TYPE_CHECKING:
    from pathlib import Path

HITL_TABLES = {
    "hitl_request",
    "hitl_request_assignee",
    "hitl_group",
    "hitl_group_member",
    "hitl_link_token",
    "hitl_lease",
    "hitl_vote",
}

# Prints the database's HITL tables, the HITL revision, and differences between the models and
# the migrated schema (Alembic's autogenerate comparison, restricted to the HITL tables).
INSPECT = """
import json
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from airflow import settings
from airflow.hitl.db_manager import VERSION_TABLE
from airflow.hitl.models import metadata
settings.configure_orm()
with settings.engine.connect() as conn:
    tables = sorted(t for t in inspect(conn).get_table_names() if t.startswith("hitl"))
    ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE, "compare_type": True})
    revision = ctx.get_current_revision()
    diffs = [str(d) for d in compare_metadata(ctx, metadata) if "hitl" in str(d)] if revision else []
print(json.dumps({"tables": tables, "revision": revision, "diffs": diffs}))
"""

SAME_TI_ID_TWICE = """
from airflow import settings
from airflow.hitl.models import HITLRequest
from airflow.utils import timezone
from airflow.utils.session import create_session
settings.configure_orm()
now = timezone.utcnow()
with create_session() as session:
    for try_number in (1, 2):
        session.add(HITLRequest(ti_id="same-ti-id", dag_id="d", run_id="r", task_id="t", map_index=-1,
                               try_number=try_number, subject="s", options=["OK"], multiple=False, params={},
                               assigned_users=[], assigned_groups=[], created_at=now, deferred_at=now,
                               status="pending", override=False))
with create_session() as session:
    print(sorted(r.try_number for r in session.query(HITLRequest).filter(HITLRequest.ti_id == "same-ti-id")))
"""

DOWNGRADE = """
from airflow import settings
from airflow.hitl.db_manager import HITLDBManager
from airflow.utils.session import create_session
settings.configure_orm()
with create_session() as session:
    HITLDBManager(session).downgrade("base")
"""


def inspect_db(stack: AirflowStack) -> dict:
    return json.loads(stack.run_python(INSPECT).strip().splitlines()[-1])


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> AirflowStack:
    if request.param == "postgres":
        require_postgres("the migration tests on PostgreSQL")
        config = StackConfig("migrations-pg", "postgres")
    else:
        config = StackConfig("migrations-sqlite", SQLITE.database)
    stack = AirflowStack(config, tmp_path)
    yield stack
    stack.drop_database()


def test_db_migrate_creates_the_tables_matching_the_models_and_is_idempotent(database: AirflowStack) -> None:
    database.prepare()
    state = inspect_db(database)
    assert set(state["tables"]) == HITL_TABLES | {"hitl_alembic_version"}
    assert state["revision"] == "hitl_0005"
    assert state["diffs"] == []
    database.run_airflow("db", "migrate")
    assert inspect_db(database) == state


def test_two_tries_may_share_a_task_instance_id(database: AirflowStack) -> None:
    # Airflow 3.0.6 starts a retry without a new task instance id when the scheduler failed the
    # task while it was queued; the retry's request must still be recorded.
    database.prepare()
    stored = database.run_python(SAME_TI_ID_TWICE).strip().splitlines()[-1]
    assert stored == "[1, 2]"


def test_downgrade_removes_the_tables_and_migrate_brings_them_back(database: AirflowStack) -> None:
    database.prepare()
    database.run_python(DOWNGRADE)
    after_downgrade = inspect_db(database)
    assert set(after_downgrade["tables"]) & HITL_TABLES == set()
    assert after_downgrade["revision"] is None

    database.run_airflow("db", "migrate")
    again = inspect_db(database)
    assert set(again["tables"]) >= HITL_TABLES
    assert again["revision"] == "hitl_0005"
    assert again["diffs"] == []
