"""Requests live without readers: registered, timed out, closed and resumed when it happens.

Every test here watches the database directly (``stack.sql``) or Airflow's own task instance
routes, never the HITL read routes, until the moment it checks the record: a request must be
recorded, closed and resumed by the request lifecycle, not by somebody looking.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.system.airflow_stack import ApiClient, on_stack, wait_for

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

pytestmark = pytest.mark.system

SHORT = "hitl_lifecycle_short_deadline"
WAITING = "hitl_lifecycle_waiting"
MAPPED = "hitl_lifecycle_mapped"
GATE = "gate"
FINISHED = {"success", "failed", "skipped", "upstream_failed"}


def stored(stack: AirflowStack, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The run's request rows, read from the database (no API call)."""
    columns = ["map_index", "try_number", "status", "chosen_options", "response_channel", "closed_ti_state"]
    return stack.request_rows(dag_id, run_id, columns)


def wait_for_row(stack: AirflowStack, dag_id: str, run_id: str, status: str, timeout: float = 60) -> dict:
    def found() -> dict | None:
        rows = stored(stack, dag_id, run_id)
        return rows[-1] if rows and rows[-1]["status"] == status else None

    return wait_for(found, timeout, f"the request of {dag_id} run {run_id} to be {status} in the database")


def deferred(api: ApiClient, dag_id: str, run_id: str, task_id: str = GATE) -> None:
    api.wait_for_state(dag_id, run_id, task_id, {"deferred"})


def test_a_request_nobody_reads_is_recorded_and_timed_out_with_its_defaults(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(SHORT)
    deferred(api, SHORT, run_id)
    # Registered while it waits, with nobody reading.
    assert wait_for_row(stack, SHORT, run_id, "pending", timeout=10)["try_number"] == 1
    assert api.wait_for_state(SHORT, run_id, "used", FINISHED)["state"] == "success"
    assert api.xcom(SHORT, run_id, "used") == "Reject"
    # Recorded as timed out when it happened (the check below is the first read of it).
    row = wait_for_row(stack, SHORT, run_id, "timed_out", timeout=15)
    assert row["chosen_options"] in (["Reject"], '["Reject"]')
    detail = api.get_request(SHORT, run_id, GATE).json()
    assert detail["status"] == "timed_out"
    assert detail["chosen_options"] == ["Reject"]
    assert detail["response_channel"] == "timeout"
    assert detail["responded_by_user"] is None
    assert run_id in {
        d["task_instance"]["dag_run_id"] for d in api.list_requests(SHORT, state="timed_out")["hitl_details"]
    }
    audit = api.http.get("/api/v2/eventLogs", params={"dag_id": SHORT, "event": "hitl.timeout"}).json()
    assert run_id in {entry["run_id"] for entry in audit["event_logs"]}


def test_an_answer_soon_after_a_short_request_appears_is_used_or_refused(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(SHORT)
    api.wait_for_request(SHORT, run_id, GATE, interval=0.1)
    time.sleep(1)
    answer = api.respond(SHORT, run_id, GATE, ["Approve"])
    assert answer.status_code in (200, 409), answer.text
    assert api.wait_for_state(SHORT, run_id, "used", FINISHED)["state"] == "success"
    used = api.xcom(SHORT, run_id, "used")
    detail = wait_for(
        lambda: (d := api.get_request(SHORT, run_id, GATE).json())["status"] != "pending" and d,
        15,
        "the request to be closed",
    )
    if answer.status_code == 200:
        assert used == "Approve"
        assert detail["status"] == "responded"
    else:
        assert "too soon" in answer.json()["detail"]
        assert used == "Reject"
        assert detail["status"] == "timed_out"


def waiting_request(stack: AirflowStack, api: ApiClient) -> str:
    """A run of the DAG whose gate waits for ever; returns once its request is in the database."""
    run_id = api.trigger(WAITING)
    deferred(api, WAITING, run_id)
    wait_for_row(stack, WAITING, run_id, "pending", timeout=10)
    return run_id


def test_marking_a_waiting_task_cancels_its_request_with_nobody_reading(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = waiting_request(stack, api)
    marked = api.http.patch(
        f"/api/v2/dags/{WAITING}/dagRuns/{run_id}/taskInstances/{GATE}", json={"new_state": "success"}
    )
    assert marked.status_code == 200, marked.text
    row = wait_for_row(stack, WAITING, run_id, "cancelled", timeout=20)
    assert row["closed_ti_state"] == "success"


def test_clearing_a_waiting_task_cancels_the_try_and_registers_the_next(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = waiting_request(stack, api)
    cleared = api.http.post(
        f"/api/v2/dags/{WAITING}/clearTaskInstances",
        json={"dry_run": False, "dag_run_id": run_id, "task_ids": [GATE], "only_failed": False},
    )
    assert cleared.status_code == 200, cleared.text

    def two_tries() -> list[dict] | None:
        rows = stored(stack, WAITING, run_id)
        return (
            rows
            if [(r["try_number"], r["status"]) for r in rows] == [(1, "cancelled"), (2, "pending")]
            else None
        )

    wait_for(two_tries, 60, "try 1 cancelled and try 2 pending in the database")


def test_two_api_server_processes_register_each_try_once(stack: AirflowStack) -> None:
    api = stack.client("admin")
    with stack.extra_api_server():
        run_id = api.trigger(MAPPED)

        def all_registered() -> list[dict] | None:
            rows = stored(stack, MAPPED, run_id)
            return rows if len({r["map_index"] for r in rows}) == 20 else None

        rows = wait_for(all_registered, 120, "twenty mapped requests in the database")
        time.sleep(2)  # a few more lifecycle rounds in both processes
        rows = stored(stack, MAPPED, run_id)
        assert len(rows) == len({(r["map_index"], r["try_number"]) for r in rows}) == 20
        # The lease keeps the background work in one process at a time: nothing failed or raced.
        for name in stack.processes:
            if name.startswith("api-server"):
                assert "this round failed" not in (stack.logs / f"{name}.log").read_text(errors="replace")


@on_stack("postgres-split", "the workers' execution API must survive the killed API server")
def test_an_answer_in_the_settle_window_is_resumed_after_its_server_is_killed(stack: AirflowStack) -> None:
    with stack.extra_api_server() as extra_url:
        extra = next(name for name in stack.processes if name == f"api-server-{extra_url.rsplit(':', 1)[1]}")
        main = next(name for name in stack.processes if name.startswith("api-server") and name != extra)
        holder = wait_for(stack.lifecycle_holder, 30, "an API server to hold the lifecycle lease")
        other = main if holder == extra else extra
        holder_api, other_api = stack.client("admin"), stack.client("admin")
        holder_api.http.base_url = httpx.URL(extra_url if holder == extra else stack.base_url)
        other_api.http.base_url = httpx.URL(stack.base_url if holder == extra else extra_url)

        run_id = waiting_request(stack, other_api)
        answer = holder_api.respond(WAITING, run_id, GATE, ["Approve"])
        assert answer.status_code == 200, answer.text
        due = stack.sql(
            "SELECT resume_due_at, resumed_at FROM hitl_request WHERE dag_id = :d AND run_id = :r",
            d=WAITING,
            r=run_id,
        )[0]
        assert due[0] is not None and due[1] is None, "answered inside the settle window"
        stack.kill(holder)
        try:
            # No read of the request from here on: the other server's lifecycle takes over.
            done = other_api.wait_for_state(WAITING, run_id, "after_waiting", FINISHED, timeout=90)
            assert done["state"] == "success"
            assert other_api.xcom(WAITING, run_id, GATE)["chosen_options"] == ["Approve"]
            assert [t["try_number"] for t in other_api.tries(WAITING, run_id, GATE)] == [1]
            assert wait_for_row(stack, WAITING, run_id, "responded")["response_channel"] == "api"
            assert stack.lifecycle_holder() == other
        finally:
            if holder == main:
                stack.respawn(main)


@on_stack("postgres-split", "tasks run while the API server with the feature is down")
def test_a_request_that_ended_while_no_api_server_ran_is_recorded_once_one_runs(stack: AirflowStack) -> None:
    api = stack.client("admin")
    api.wait_for_dag(SHORT)
    stack.kill("api-server-core")
    try:
        run_id = f"while_down_{time.time_ns()}"
        stack.run_airflow("dags", "trigger", SHORT, "--run-id", run_id)

        def used_finished() -> str | None:
            rows = stack.sql(
                "SELECT state FROM task_instance WHERE dag_id = :d AND run_id = :r AND task_id = 'used'",
                d=SHORT,
                r=run_id,
            )
            return rows[0][0] if rows and rows[0][0] in FINISHED else None

        assert wait_for(used_finished, 120, "the run to finish with no API server up") == "success"
        assert stored(stack, SHORT, run_id) == []
    finally:
        stack.respawn("api-server-core")
    row = wait_for_row(stack, SHORT, run_id, "timed_out", timeout=30)
    assert row["response_channel"] == "timeout"
    detail = stack.client("admin").get_request(SHORT, run_id, GATE).json()
    assert detail["subject"] == "Approve within 5 s?"
    assert detail["options"] == ["Approve", "Reject"]
    assert detail["assigned_groups"] == ["auditors"]
    assert detail["chosen_options"] == ["Reject"]
