"""Benchmark: the inbox queries with 100,000 requests on PostgreSQL.

Seeds a fresh, migrated database with DAGs, DAG runs, task instances and HITL requests (10%
pending, with deferred task instances and triggers, as Airflow would have them; the rest
responded, timed out or cancelled), every request assigned to a user and a responder group. Then
starts a real API server on it and times, over HTTP, what the inbox asks for:

* pending for a user, including group assignment, newest first: page 1 and page 50;
* the same, deadline soonest; all pending, newest first, page 1;
* the same with ``for_me`` (the UI's default), as the viewer and as a user who may edit every DAG;
* one DAG's pending requests;
* the per-status counts (the nav badge).

Finally it replays the same requests in this process with the SQL statements recorded, and prints
PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)`` plan of each statement that touches ``hitl_request``,
of the request lifecycle's statements, and of the sweep that removes requests of deleted DAG runs.
A fifth of the pending requests are assigned to nobody (``for_me`` of an editor finds those).

Run from the repository root (PostgreSQL on 127.0.0.1:5432)::

    .venv/bin/python -m tests.benchmarks.inbox_queries
    .venv/bin/python -m tests.benchmarks.inbox_queries --requests 20000 --repeat 10 --no-plans

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.stress.common import log, print_table, skip_reason
from tests.system.airflow_stack import AirflowStack, StackConfig, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator

BENCH = StackConfig("bench-postgres", "postgres")
USER = "alice"  # a viewer: reads every DAG, may answer what is assigned to her
TASKS_PER_RUN = 10  # one of them (index 0) waits for an answer: 10% pending
USERS, GROUPS, DAGS = 200, 50, 100
# The user is assigned directly to every 200th request and is a member of group_10 (every 50th):
# 500 + 2,000 pending requests are hers out of 100,000 (10,000 pending).
MEMBER_OF = "group_10"

EDITOR = "user"  # role "user": may edit every DAG; nothing is assigned to this user id
QUERIES = [
    ("pending for me, newest, page 1", USER, {"assigned_to_me": "true", "status": "pending", "offset": 0}),
    (
        "pending for me, newest, page 50",
        USER,
        {"assigned_to_me": "true", "status": "pending", "offset": 2450},
    ),
    (
        "pending for me, deadline soonest, page 1",
        USER,
        {"assigned_to_me": "true", "status": "pending", "order_by": "deadline", "offset": 0},
    ),
    ("waiting for me (for_me), newest, page 1", USER, {"for_me": "true", "status": "pending", "offset": 0}),
    ("editor: waiting for me (for_me), page 1", EDITOR, {"for_me": "true", "status": "pending", "offset": 0}),
    ("all pending, newest, page 1", USER, {"status": "pending", "offset": 0}),
    ("one DAG's pending, newest, page 1", USER, {"status": "pending", "offset": 0, "dag_id": "bench_dag_7"}),
]
LIST_PATH = "/api/v2/dags/~/dagRuns/~/hitlDetails"
COUNTS_PATH = "/api/v2/hitl/counts"


def seed_sql(requests: int) -> list[str]:
    """Statements that fill a migrated database; ``i`` numbers the requests, newest last."""
    runs = requests // TASKS_PER_RUN
    pending = f"(i % {TASKS_PER_RUN} = 0)"
    dag = f"'bench_dag_' || ((i / {TASKS_PER_RUN}) % {DAGS})"
    run = f"'run_' || (i / {TASKS_PER_RUN})"
    task = f"'approve_' || (i % {TASKS_PER_RUN})"
    # Every fifth run's pending request is assigned to nobody: "for_me" of an editor finds those.
    unassigned = f"({pending} AND (i / {TASKS_PER_RUN}) % 5 = 0)"
    created = f"now() - ({requests} - i) * interval '30 seconds'"
    status = (
        f"CASE WHEN {pending} THEN 'pending' WHEN i % {TASKS_PER_RUN} = 9 THEN 'cancelled' "
        f"WHEN i % {TASKS_PER_RUN} = 8 THEN 'timed_out' ELSE 'responded' END"
    )
    return [
        f"""INSERT INTO dag (dag_id, is_paused, is_stale, max_active_tasks, max_active_runs,
                max_consecutive_failed_dag_runs, has_task_concurrency_limits, has_import_errors)
            SELECT 'bench_dag_' || d, false, false, 16, 16, 0, false, false
            FROM generate_series(0, {DAGS - 1}) AS d""",
        f"""INSERT INTO dag_run (dag_id, run_id, run_type, run_after, state, start_date)
            SELECT 'bench_dag_' || (r % {DAGS}), 'run_' || r, 'manual', now(), 'running', now()
            FROM generate_series(0, {runs - 1}) AS r""",
        f"""INSERT INTO trigger (id, classpath, kwargs, created_date)
            SELECT i / {TASKS_PER_RUN} + 1, 'airflow.providers.hitl.triggers.hitl.HITLTrigger', '{{}}',
                   {created}
            FROM generate_series(0, {requests - 1}) AS i WHERE {pending}""",
        f"""INSERT INTO task_instance (id, task_id, dag_id, run_id, map_index, try_number, state, pool,
                pool_slots, queue, priority_weight, trigger_id, next_method)
            SELECT gen_random_uuid(), {task}, {dag}, {run}, -1, 1,
                   CASE WHEN {pending} THEN 'deferred' ELSE 'success' END, 'default_pool', 1,
                   'default', 1, CASE WHEN {pending} THEN i / {TASKS_PER_RUN} + 1 END,
                   CASE WHEN {pending} THEN 'execute_complete' END
            FROM generate_series(0, {requests - 1}) AS i""",
        f"""INSERT INTO hitl_request (ti_id, dag_id, run_id, task_id, map_index, try_number, trigger_id,
                subject, body, options, defaults, multiple, params, assigned_users, assigned_groups,
                has_assignees, created_at, deferred_at, deadline, status, responded_at, responded_by_id,
                responded_by_name, chosen_options, params_input, response_channel, override)
            SELECT ti.id::text, {dag}, {run}, {task}, -1, 1,
                   CASE WHEN {pending} THEN i / {TASKS_PER_RUN} + 1 END,
                   'Approve payout #' || i, 'Payout **#' || i || '** needs a decision.',
                   '["Approve", "Reject"]', '["Reject"]', false, '{{}}',
                   CASE WHEN {unassigned} THEN '[]'::json ELSE
                   json_build_array(json_build_object('id', CASE WHEN i % {USERS} = 0 THEN '{USER}'
                        ELSE 'user_' || (i % {USERS}) END, 'name', 'User ' || (i % {USERS}))) END,
                   CASE WHEN {unassigned} THEN '[]'::json ELSE json_build_array('group_' || (i % {GROUPS})) END,
                   NOT {unassigned}, {created}, {created}, {created} + interval '3 days', {status},
                   CASE WHEN NOT {pending} THEN {created} + interval '1 hour' END,
                   CASE WHEN NOT {pending} THEN 'user_' || (i % {USERS}) END,
                   CASE WHEN NOT {pending} THEN 'User ' || (i % {USERS}) END,
                   CASE WHEN NOT {pending} THEN '["Approve"]'::json END,
                   CASE WHEN NOT {pending} THEN '{{}}'::json END,
                   CASE WHEN NOT {pending} THEN 'ui' END, false
            FROM generate_series(0, {requests - 1}) AS i
            JOIN task_instance ti ON ti.dag_id = {dag} AND ti.run_id = {run} AND ti.task_id = {task}""",
        """INSERT INTO hitl_request_assignee (request_id, kind, principal)
            SELECT id, 'user', assigned_users -> 0 ->> 'id' FROM hitl_request WHERE has_assignees
            UNION ALL SELECT id, 'group', assigned_groups ->> 0 FROM hitl_request WHERE has_assignees""",
        f"""INSERT INTO hitl_group (name, description, created_at)
            SELECT 'group_' || g, 'Benchmark group ' || g, now() FROM generate_series(0, {GROUPS - 1}) AS g""",
        f"""INSERT INTO hitl_group_member (group_id, user_id)
            SELECT id, '{USER}' FROM hitl_group WHERE name = '{MEMBER_OF}'""",
        # What autovacuum does soon after a bulk insert (PostgreSQL 13+): statistics and the
        # visibility map that lets index-only scans skip the table.
        "VACUUM ANALYZE",
    ]


def seed(stack: AirflowStack, requests: int) -> None:
    import psycopg2

    started = time.monotonic()
    conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=stack.pg_database)
    conn.autocommit = True
    with conn.cursor() as cur:
        for statement in seed_sql(requests):
            cur.execute(statement)
        cur.execute("SELECT status, count(*) FROM hitl_request GROUP BY status ORDER BY status")
        counts = dict(cur.fetchall())
    conn.close()
    log(f"seeded {requests:,} requests in {time.monotonic() - started:.0f}s: {counts}")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_queries(stack: AirflowStack, repeat: int) -> list[list[Any]]:
    """p50/p95 over HTTP, in milliseconds, after two warm-up calls per query."""
    rows = []
    with httpx.Client(base_url=stack.base_url, timeout=60) as http:
        for name, user, path, params in requests_to_time():
            headers = {"Authorization": f"Bearer {stack.token(user)}"}
            for _ in range(2):
                http.get(path, params=params, headers=headers).raise_for_status()
            took = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = http.get(path, params=params, headers=headers)
                took.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            body = response.json()
            shown = body.get("total_entries", body.get("pending_for_me"))
            rows.append(
                [name, shown, f"{statistics.median(took):.1f}", f"{percentile(took, 0.95):.1f}", repeat]
            )
    return rows


def requests_to_time() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for name, user, params in QUERIES:
        params = dict(params)
        path = (
            LIST_PATH.replace("/dags/~/", f"/dags/{params.pop('dag_id')}/")
            if "dag_id" in params
            else LIST_PATH
        )
        yield name, user, path, {"limit": 50, "order_by": "-created_at", **params}
    yield "counts (badge)", USER, COUNTS_PATH, {}
    yield "editor: counts (badge)", EDITOR, COUNTS_PATH, {}


def explain_plans(stack: AirflowStack) -> None:
    """Replays each request in this process and prints the plans of its ``hitl_request`` queries."""
    os.environ.update(stack.env())
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from airflow import settings
    from airflow.api_fastapi.app import init_auth_manager
    from airflow.hitl.api.app import create_api_app

    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "hitl_request" in statement and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    assert settings.engine is not None
    init_auth_manager()
    event.listen(settings.engine, "before_cursor_execute", record)
    client = TestClient(create_api_app())
    for name, user, path, params in requests_to_time():
        statements.clear()
        client.get(
            path, params=params, headers={"Authorization": f"Bearer {stack.token(user)}"}
        ).raise_for_status()
        recorded = list(statements)
        print(f"\n### {name}: {path} {params}")
        for statement, parameters in recorded:
            with settings.engine.connect() as conn:
                raw = conn.connection.cursor()
                raw.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                plan = "\n".join(line for (line,) in raw.fetchall())
            first_line = " ".join(statement.split())[:160]
            print(f"\n-- {first_line} ...\n{plan}")


def explain_lifecycle() -> None:
    """The plans of the request lifecycle's statements over these requests: the reconcile (every
    ``[hitl] reconcile_interval``), and each round's deadline check and watermark registration."""
    from sqlalchemy import func, select

    from airflow import settings
    from airflow.hitl.services import registry
    from airflow.models.trigger import Trigger
    from airflow.utils import timezone
    from airflow.utils.session import create_session

    assert settings.engine is not None
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((statement, parameters))

    from sqlalchemy import event

    now = timezone.utcnow()
    with create_session() as session:
        top = session.scalar(select(func.max(Trigger.id))) or 0
        work = [
            (
                "reconcile: open requests whose task stopped waiting",
                lambda: registry.ended_request_ids(session),
            ),
            (
                "each round: pending requests whose deadline just passed",
                lambda: registry.ended_request_ids(session, deadline_between=(now, now)),
            ),
            (
                "each round: deferrals above the watermark",
                lambda: registry.register_new_requests(session, after_trigger_id=top - 10),
            ),
        ]
        event.listen(settings.engine, "before_cursor_execute", record)
        for name, call in work:
            statements.clear()
            call()
            for statement, parameters in list(statements)[:1]:
                with settings.engine.connect() as conn:
                    raw = conn.connection.cursor()
                    raw.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
                    plan = "\n".join(line for (line,) in raw.fetchall())
                print(f"\n### {name}\n\n-- {' '.join(statement.split())[:200]} ...\n{plan}")
        event.remove(settings.engine, "before_cursor_execute", record)


def explain_deleted_runs_sweep() -> None:
    """The plan of the sweep the request lifecycle makes every ``[hitl]
    deleted_runs_check_interval`` (nothing to remove here: every seeded run exists), executed in a
    transaction that is rolled back."""
    from sqlalchemy import delete

    from airflow import settings
    from airflow.hitl.models import HITLRequest
    from airflow.hitl.services.retention import run_gone

    assert settings.engine is not None
    with settings.engine.connect() as conn:
        statement = delete(HITLRequest).where(run_gone())
        sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        transaction = conn.begin()
        plan = "\n".join(
            line for (line,) in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        )
        transaction.rollback()
    print(f"\n### requests of deleted runs (the sweep)\n\n-- {' '.join(sql.split())}\n{plan}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per query")
    parser.add_argument("--no-plans", action="store_true", help="skip the EXPLAIN plans")
    args = parser.parse_args()
    reason = skip_reason(BENCH)
    if reason:
        print(f"Cannot run: {reason}", file=sys.stderr)
        return 2

    stack = AirflowStack(BENCH, Path(tempfile.mkdtemp(prefix="hitl-bench-inbox-")))
    try:
        stack.prepare()
        seed(stack, args.requests)
        stack.start(components=(), fresh=False)
        wait_for(lambda: stack.token(USER), 30, "a token for the benchmark user")
        log(f"API server up at {stack.base_url}; load average {os.getloadavg()[0]:.2f}")
        rows = time_queries(stack, args.repeat)
        print_table(["query (page size 50)", "matches", "p50 ms", "p95 ms", "calls"], rows)
        if not args.no_plans:
            explain_plans(stack)
            explain_lifecycle()
            explain_deleted_runs_sweep()
    finally:
        stack.stop()
        stack.drop_database()
    return 0


if __name__ == "__main__":
    sys.exit(main())
