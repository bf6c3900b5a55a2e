"""`airflow-hitl purge` on real databases: requests of deleted runs and old answers go, pending stay."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from tests.system.airflow_stack import AirflowStack

# Seeds: run "kept" exists with an old answered request, an old pending one and a new answered one;
# run "deleted" is removed after its request was recorded. Prints the ids of the seeded requests.
SEED = """
import json
from datetime import timedelta
from airflow import settings
from airflow.hitl.models import HITLRequest
from airflow.models.dagrun import DagRun
from airflow.utils import timezone
from airflow.utils.session import create_session
from airflow.utils.types import DagRunType
settings.configure_orm()
now = timezone.utcnow()
def request(run_id, task_id, status, age_days, **extra):
    return HITLRequest(ti_id=f"{run_id}-{task_id}", dag_id="d", run_id=run_id, task_id=task_id, map_index=-1,
                      try_number=1, subject="s", options=["OK"], multiple=False, params={}, assigned_users=[],
                      assigned_groups=[], created_at=now - timedelta(days=age_days),
                      deferred_at=now - timedelta(days=age_days), status=status, override=False, **extra)
with create_session() as session:
    session.query(HITLRequest).delete()
    session.query(DagRun).filter(DagRun.dag_id == "d").delete()
with create_session() as session:
    for run_id in ("kept", "deleted"):
        session.add(DagRun(dag_id="d", run_id=run_id, run_type=DagRunType.MANUAL, run_after=now, state="running"))
    session.add_all([
        request("kept", "old_answered", "responded", 100, chosen_options=["OK"], responded_at=now),
        request("kept", "old_pending", "pending", 100),
        request("kept", "new_answered", "responded", 1, chosen_options=["OK"], responded_at=now),
        request("deleted", "any", "pending", 1),
    ])
with create_session() as session:
    session.query(DagRun).filter(DagRun.run_id == "deleted").delete()
"""

REMAINING = """
import json
from airflow import settings
from airflow.hitl.models import HITLRequest
from airflow.utils.session import create_session
settings.configure_orm()
with create_session() as session:
    print(json.dumps(sorted(f"{r.run_id}.{r.task_id}" for r in session.query(HITLRequest))))
"""


@pytest.fixture
def database(migrated: AirflowStack) -> AirflowStack:
    """The module's database, seeded afresh for each test."""
    migrated.run_python(SEED)
    return migrated


def purge(stack: AirflowStack, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "airflow.hitl.cli", "purge", *args],
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def remaining(stack: AirflowStack) -> list[str]:
    return json.loads(stack.run_python(REMAINING).strip().splitlines()[-1])


def test_dry_run_counts_and_exports_but_removes_nothing(database: AirflowStack, tmp_path: Path) -> None:
    export = tmp_path / "export.jsonl"
    result = purge(database, "--older-than", "90d", "--dry-run", "--export", str(export))
    assert result.returncode == 0, result.stderr
    assert "Would remove 2 requests: 1 of deleted DAG runs, 1 answered" in result.stdout
    assert [json.loads(line)["task_id"] for line in export.read_text().splitlines()] == [
        "any",
        "old_answered",
    ]
    assert len(remaining(database)) == 4


def test_purge_removes_deleted_runs_and_old_answers_and_keeps_pending(database: AirflowStack) -> None:
    result = purge(database, "--older-than", "90d")
    assert result.returncode == 0, result.stderr
    assert remaining(database) == ["kept.new_answered", "kept.old_pending"]
    again = purge(database, "--older-than", "90d")
    assert "Removed 0 requests" in again.stdout


def test_without_an_age_only_requests_of_deleted_runs_go(database: AirflowStack) -> None:
    assert purge(database).returncode == 0
    assert remaining(database) == ["kept.new_answered", "kept.old_answered", "kept.old_pending"]


def test_a_malformed_age_is_refused_with_an_example(database: AirflowStack) -> None:
    result = purge(database, "--older-than", "three months")
    assert result.returncode == 2
    assert "expected an age like 90d, 12h or 30m" in result.stderr
    assert len(remaining(database)) == 4
