"""``airflow-hitl export-to-builtin`` on a real upgrade: requests made by our 3.0.6 stack, the
database upgraded by Airflow 3.3.2's ``airflow db migrate``, the rows read back through 3.3.2's
REST API.

On demand (a few minutes; creates the 3.3.2 virtualenv on first use, see README.md)::

    HITL_COMPAT=1 .venv/bin/python -m pytest tests/compat -s
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, inspect

from tests.compat.builtin_stack import BuiltinStack, ensure_venv, port_dag
from tests.system.airflow_stack import CONFIGS, REPO_ROOT, VENV_BIN, AirflowStack, require_postgres, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = [
    pytest.mark.compat,
    pytest.mark.skipif(
        not os.environ.get("HITL_COMPAT"),
        reason="compatibility tests against Airflow 3.3.2 run on demand: set HITL_COMPAT=1 (see tests/compat/README.md)",
    ),
]

DAGS = Path(__file__).parent / "dags" / "hitl_export_dags.py"
PENDING_DAG = Path(__file__).parent / "dags" / "hitl_export_pending_dag.py"
# Answers wait out the settle window so the tasks resume before our stack stops.
SETTLE = 12


def export(url: str, home: Path, *args: str, venv_bin: Path = VENV_BIN) -> subprocess.CompletedProcess:
    """Runs the export command; from another virtualenv (3.3.2's), with this checkout's source."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    if venv_bin != VENV_BIN:
        env["PYTHONPATH"] = str(REPO_ROOT / "airflow-core" / "src")
    env["AIRFLOW_HOME"] = str(home)
    command = [
        str(venv_bin / "python"),
        "-m",
        "airflow.hitl.cli",
        "export-to-builtin",
        "--sql-alchemy-conn",
        url,
        *args,
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    print(
        f"$ airflow-hitl export-to-builtin {' '.join(args)}  ({venv_bin.parent.name})\n{result.stdout}{result.stderr}"
    )
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def upgraded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Requests of every kind made on 3.0.6, then the same database upgraded to 3.3.2."""
    if request.param == "postgres":
        require_postgres("the export test on PostgreSQL")
    workdir = tmp_path_factory.mktemp(f"export-{request.param}")
    ours = AirflowStack(CONFIGS[request.param], workdir, dag_files=[DAGS, PENDING_DAG])
    runs: dict[str, str] = {}
    try:
        ours.start()
        client = ours.client()
        for dag_id in ("export_answered", "export_grouped", "export_timed_out", "export_pending"):
            runs[dag_id] = client.trigger(dag_id)
        for dag_id, task_id in (
            ("export_answered", "approve"),
            ("export_grouped", "choose"),
            ("export_pending", "form"),
        ):
            client.wait_for_request(dag_id, runs[dag_id], task_id)
        time.sleep(SETTLE)
        assert (
            client.respond("export_answered", runs["export_answered"], "approve", ["Approve"]).status_code
            == 200
        )
        assert (
            client.respond("export_grouped", runs["export_grouped"], "choose", ["eu", "us"]).status_code
            == 200
        )
        for dag_id, task_id in (
            ("export_answered", "approve"),
            ("export_grouped", "choose"),
            ("export_timed_out", "wait_briefly"),
        ):
            client.wait_for_state(dag_id, runs[dag_id], task_id, {"success"})
        wait_for(
            lambda: ours.sql("SELECT status FROM hitl_request WHERE dag_id = 'export_timed_out'")
            == [("timed_out",)],
            60,
            "the timed-out request to be closed",
        )
        statuses = dict(ours.sql("SELECT dag_id, status FROM hitl_request"))
        print(f"requests on 3.0.6: {statuses}")
    except Exception:
        print(ours.dump_logs())
        raise
    finally:
        url = ours.sql_alchemy_conn
        # The database outlives our stack: 3.3.2 upgrades it (dropped at the end).
        pg_database, ours.pg_database = ours.pg_database, None
        ours.stop()
    # 3.3.2 gets the waiting request's DAG, ported by the one import (the others use groups).
    sources = {PENDING_DAG.name: port_dag(PENDING_DAG.read_text())}
    builtin = BuiltinStack(workdir, ensure_venv(), dag_sources=sources, database_url=url)
    builtin.pg_database = pg_database
    home = ours.home
    yield {"url": url, "home": home, "runs": runs, "before": export(url, home), "builtin": builtin}
    builtin.stop()


def test_a_30_database_is_refused_before_the_upgrade(upgraded: dict[str, Any]):
    before = upgraded["before"]
    assert before.returncode == 2
    assert "no hitl_detail table" in before.stderr


def test_export_after_332_migrate_copies_answers_and_reports_the_rest(upgraded: dict[str, Any]):
    builtin: BuiltinStack = upgraded["builtin"]
    url = upgraded["url"]
    started = time.monotonic()
    migrate = builtin.prepare_existing()
    print(
        f"airflow db migrate (3.3.2) on the 3.0.6 database: rc={migrate.returncode}, {time.monotonic() - started:.0f}s"
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"hitl_request", "hitl_detail", "hitl_detail_history"} <= tables

    dry = export(url, upgraded["home"], "--dry-run", venv_bin=builtin.venv_bin)
    assert dry.returncode == 0, dry.stderr
    assert "Would copy 3 requests into hitl_detail" in dry.stdout
    assert builtin.sql("SELECT count(*) FROM hitl_detail") == [(0,)]

    first = export(url, upgraded["home"])
    assert first.returncode == 0, first.stderr
    assert "Copied 3 requests into hitl_detail" in first.stdout
    assert "Not copied: 1 requests: its task is still waiting" in first.stdout
    assert "Copied with a loss: 1 requests: assigned to responder groups" in first.stdout

    again = export(url, upgraded["home"], venv_bin=builtin.venv_bin)
    assert again.returncode == 0, again.stderr
    assert "Copied no requests" in again.stdout
    assert "Not copied: 3 requests: a built-in row for this try exists already" in again.stdout
    assert builtin.sql("SELECT count(*) FROM hitl_detail") == [(3,)]


def test_copied_rows_read_back_through_332_rest_api(upgraded: dict[str, Any]):
    builtin: BuiltinStack = upgraded["builtin"]
    runs = upgraded["runs"]
    builtin.start(fresh=False, components=())
    client = builtin.client()
    listed = client.list_requests()
    print(f"GET /api/v2/dags/~/dagRuns/~/hitlDetails on 3.3.2: total_entries={listed['total_entries']}")
    by_dag = {d["task_instance"]["dag_id"]: d for d in listed["hitl_details"]}
    assert set(by_dag) == {"export_answered", "export_grouped", "export_timed_out"}

    answered = client.get_request("export_answered", runs["export_answered"], "approve").json()
    assert answered["response_received"] is True
    assert answered["chosen_options"] == ["Approve"]
    assert answered["responded_by_user"] == {"id": "admin", "name": "admin"}
    assert answered["assigned_users"] == [{"id": "admin", "name": "admin"}]
    assert answered["body"] == "Answered before the upgrade."

    grouped = by_dag["export_grouped"]
    assert (grouped["chosen_options"], grouped["multiple"], grouped["assigned_users"]) == (
        ["eu", "us"],
        True,
        [],
    )

    timed_out = by_dag["export_timed_out"]
    assert timed_out["chosen_options"] == ["no"]
    assert timed_out["responded_by_user"] is None
    assert timed_out["response_received"] is True


def test_a_request_still_waiting_at_the_upgrade_is_copied_only_when_asked(upgraded: dict[str, Any]):
    builtin: BuiltinStack = upgraded["builtin"]
    run_id = upgraded["runs"]["export_pending"]
    included = export(upgraded["url"], upgraded["home"], "--include-pending")
    assert "Copied 1 requests into hitl_detail" in included.stdout
    client = builtin.client()
    pending = client.get_request("export_pending", run_id, "form")
    assert pending.status_code == 200, pending.text
    assert pending.json()["response_received"] is False
    # What 3.3.2 makes of an answer to it, and of its task: observations, printed.
    answer = client.respond("export_pending", run_id, "form", ["OK"], {"note": "after the upgrade"})
    print(f"PATCH on 3.3.2 for the task waiting on our trigger: {answer.status_code} {answer.text[:200]}")
    state = client.task_instance("export_pending", run_id, "form")["state"]
    for component in ("scheduler", "dag-processor", "triggerer"):
        builtin.start_component(component)
    started = time.monotonic()
    ended = client.wait_for_state(
        "export_pending",
        run_id,
        "form",
        {"success", "failed", "up_for_retry", "upstream_failed"},
        timeout=240,
    )
    print(
        f"its task on 3.3.2: {state} after the answer, {ended['state']} {time.monotonic() - started:.0f}s after the scheduler started"
    )
    if ended["state"] == "success":
        print(f"its XCom return_value on 3.3.2: {client.xcom('export_pending', run_id, 'form')}")
