"""Faults of a production deployment lose nothing and resume nothing twice.

On the ``production`` stack (two API servers, schedulers and triggerers, CeleryExecutor with two
workers): a component dies or restarts, or the database drops the API servers' connections, while
requests wait or answers are being delivered. Each test watches the database (``stack.sql``) and
Airflow's own task instance routes, not the HITL read routes, so what it sees is the lifecycle's
doing, not a side effect of somebody reading. Each test starts again what it stopped, so the next
one finds the stack whole.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.system.airflow_stack import RACERS, on_stack, wait_for

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack, ApiClient

pytestmark = [pytest.mark.system]

WAITING = "hitl_lifecycle_waiting"
DEADLINES = "hitl_fault_deadlines"
ANSWERED_20 = "hitl_fault_answered_20"
ANSWERED_100 = "hitl_fault_answered_100"
GATE = "gate"
FINISHED = {"success", "failed"}
APPROVE = ["Approve"]


def production(why: str) -> pytest.MarkDecorator:
    return on_stack("production", why)


def requests_of(stack: AirflowStack, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """The run's request rows, read from the database, by map index and try."""
    columns = [
        "map_index",
        "try_number",
        "status",
        "chosen_options",
        "response_channel",
        "responded_by_name",
        "resume_due_at",
        "resumed_at",
        "deadline",
    ]
    return stack.request_rows(dag_id, run_id, columns)


def wait_for_pending(stack: AirflowStack, dag_id: str, run_id: str, count: int, timeout: float) -> None:
    """Until ``count`` requests of the run are registered and pending (with nobody reading them)."""

    def all_pending() -> bool:
        rows = requests_of(stack, dag_id, run_id)
        return len(rows) == count and all(row["status"] == "pending" for row in rows)

    wait_for(all_pending, timeout, f"{count} pending requests of {dag_id}", interval=1)


def gate_tries(stack: AirflowStack, dag_id: str, run_id: str) -> dict[int, tuple[str, int]]:
    """Each gate's (state, try number), by map index."""
    rows = stack.sql(
        "SELECT map_index, state, try_number FROM task_instance "
        "WHERE dag_id = :d AND run_id = :r AND task_id = :t",
        d=dag_id,
        r=run_id,
        t=GATE,
    )
    return {map_index: (state, try_number) for map_index, state, try_number in rows}


def answer_log_entries(stack: AirflowStack, dag_id: str, run_id: str) -> Counter[int]:
    """How many answers Airflow's audit log holds, by map index."""
    rows = stack.sql(
        "SELECT map_index FROM log WHERE event = 'hitl.respond' AND dag_id = :d AND run_id = :r",
        d=dag_id,
        r=run_id,
    )
    return Counter(map_index for (map_index,) in rows)


def finish(api: ApiClient, dag_id: str, run_id: str, timeout: float) -> str:
    return api.wait_for_run(dag_id, run_id, timeout=timeout)


def assert_every_gate_succeeded_once(stack: AirflowStack, dag_id: str, run_id: str, count: int) -> None:
    tries = gate_tries(stack, dag_id, run_id)
    assert tries == dict.fromkeys(range(count), ("success", 1)), tries
    rows = requests_of(stack, dag_id, run_id)
    assert [row["map_index"] for row in rows] == list(range(count)), "one request per gate, one try"
    assert all(row["status"] == "responded" and row["resumed_at"] is not None for row in rows)


@production("the API server that recorded an answer dies; another process must deliver it")
def test_an_answer_in_the_settle_window_resumes_once_after_its_api_server_is_killed(
    stack: AirflowStack,
) -> None:
    # The resumed task needs the workers' execution API, so the answer goes to the other server,
    # which must hold the lifecycle lease (be the server that would resume the task itself).
    execution = stack.execution_api_server
    [other] = [name for name in stack.names("api-server") if name != execution]
    if wait_for(stack.lifecycle_holder, 30, "an API server to hold the lifecycle lease") == execution:
        stack.restart(execution)  # releases the lease; the other server takes it
    wait_for(lambda: stack.lifecycle_holder() == other, 30, f"{other} to hold the lifecycle lease")
    survivor, victim = stack.client("admin", execution), stack.client("admin", other)

    run_id = survivor.trigger(WAITING)
    survivor.wait_for_state(WAITING, run_id, GATE, {"deferred"})
    answer = victim.respond(WAITING, run_id, GATE, APPROVE)
    assert answer.status_code == 200, answer.text
    [row] = requests_of(stack, WAITING, run_id)
    assert row["resume_due_at"] is not None and row["resumed_at"] is None, "answered in the settle window"
    stack.kill(other)
    try:
        assert finish(survivor, WAITING, run_id, timeout=120) == "success"
        assert stack.lifecycle_holder() == execution
        [row] = requests_of(stack, WAITING, run_id)
        assert (row["status"], row["chosen_options"], row["try_number"]) == ("responded", APPROVE, 1)
        assert row["resumed_at"] is not None
        assert [t["try_number"] for t in survivor.tries(WAITING, run_id, GATE)] == [1]
        assert survivor.xcom(WAITING, run_id, GATE)["chosen_options"] == APPROVE
    finally:
        stack.respawn(other)


@production("two triggerers: the one running the deadlines' triggers dies")
def test_deadlines_fire_once_after_the_triggerer_holding_them_is_killed(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(DEADLINES)
    wait_for_pending(stack, DEADLINES, run_id, 50, timeout=240)

    def trigger_holders() -> Counter[int | None]:
        rows = stack.sql(
            "SELECT t.triggerer_id FROM task_instance ti JOIN trigger t ON t.id = ti.trigger_id "
            "WHERE ti.dag_id = :d AND ti.run_id = :r AND ti.task_id = :t",
            d=DEADLINES,
            r=run_id,
            t=GATE,
        )
        return Counter(triggerer_id for (triggerer_id,) in rows)

    holders = wait_for(
        lambda: (found := trigger_holders()) and None not in found and sum(found.values()) == 50 and found,
        60,
        "a triggerer to run all 50 triggers",
    )
    victim_job = holders.most_common(1)[0][0]
    [(victim,)] = stack.sql("SELECT hostname FROM job WHERE id = :id", id=victim_job)
    assert victim in stack.names("triggerer"), f"job {victim_job} ({victim}) is no triggerer of the stack"
    [(first_deadline,)] = stack.sql(
        "SELECT min(deadline) FROM hitl_request WHERE dag_id = :d AND run_id = :r", d=DEADLINES, r=run_id
    )
    assert first_deadline.timestamp() - time.time() > 30, (
        "the requests deferred too slowly for the takeover (15 s) to come before their deadlines"
    )

    stack.kill(victim)
    try:
        # Every trigger still waiting moves to the other triggerer before any deadline.
        moved = wait_for(
            lambda: (found := trigger_holders()) and victim_job not in found and None not in found and found,
            60,
            "the other triggerer to take the killed one's triggers",
        )
        assert sum(moved.values()) == 50 and len(moved) == 1, moved
        assert time.time() < first_deadline.timestamp(), "taken over before the first deadline"
        assert finish(api, DEADLINES, run_id, timeout=300) == "success"
    finally:
        stack.respawn(victim)
    assert api.xcom(DEADLINES, run_id, "used") == ["Reject"] * 50
    assert gate_tries(stack, DEADLINES, run_id) == dict.fromkeys(range(50), ("success", 1))
    rows = requests_of(stack, DEADLINES, run_id)
    assert [row["map_index"] for row in rows] == list(range(50)), "one request per gate, one try"
    assert {(row["status"], row["response_channel"]) for row in rows} == {("timed_out", "timeout")}
    assert all(row["chosen_options"] == ["Reject"] for row in rows), "the defaults are recorded"


@production("two schedulers, both restarted while answered tasks are being resumed")
def test_answered_tasks_succeed_once_when_both_schedulers_restart_meanwhile(stack: AirflowStack) -> None:
    servers = [stack.client("admin", name) for name in stack.names("api-server")]
    run_id = servers[0].trigger(ANSWERED_20)
    wait_for_pending(stack, ANSWERED_20, run_id, 20, timeout=180)
    for map_index in range(20):
        response = servers[map_index % 2].respond(ANSWERED_20, run_id, GATE, APPROVE, map_index=map_index)
        assert response.status_code == 200, response.text
    schedulers = stack.names("scheduler")
    # Both down at once (a deployment rolled over), then both up again.
    with ThreadPoolExecutor(len(schedulers)) as pool:
        list(pool.map(stack.terminate, schedulers))
    resumed_while_down = sum(row["resumed_at"] is not None for row in requests_of(stack, ANSWERED_20, run_id))
    for name in schedulers:
        stack.respawn(name)
    assert finish(servers[0], ANSWERED_20, run_id, timeout=300) == "success"
    assert_every_gate_succeeded_once(stack, ANSWERED_20, run_id, 20)
    print(f"resumed while both schedulers were down: {resumed_while_down} of 20")


@production("the API servers' database connections are cut while they record answers")
def test_an_answer_whose_connection_is_cut_is_recorded_once_or_refused(stack: AirflowStack) -> None:
    names = stack.names("api-server")
    servers = [stack.client("admin", name) for name in names]
    run_id = servers[0].trigger(ANSWERED_20)
    wait_for_pending(stack, ANSWERED_20, run_id, 20, timeout=180)
    statuses: dict[int, int | str] = {}
    cut: dict[int, int] = {}
    rng = random.Random(20)  # the same delays on every run
    for map_index in range(20):
        server = servers[map_index % 2]

        def answer(map_index: int = map_index, server: ApiClient = server) -> None:
            try:
                statuses[map_index] = server.respond(
                    ANSWERED_20, run_id, GATE, APPROVE, map_index=map_index
                ).status_code
            except httpx.HTTPError as err:
                statuses[map_index] = type(err).__name__

        thread = threading.Thread(target=answer)
        thread.start()
        time.sleep(rng.uniform(0, 0.15))
        [(terminated,)] = stack.sql(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = :name",
            name=names[map_index % 2],
        )
        cut[map_index] = terminated
        thread.join(timeout=60)
    assert sum(cut.values()) > 0, "no connection of the API servers was cut"
    rows = {row["map_index"]: row for row in requests_of(stack, ANSWERED_20, run_id)}
    outcomes = Counter((statuses[index], rows[index]["status"]) for index in range(20))
    print(f"(response, request) while connections were cut: {dict(outcomes)}; {sum(cut.values())} cut")
    logged = answer_log_entries(stack, ANSWERED_20, run_id)
    for map_index in range(20):
        row = rows[map_index]
        if row["status"] == "responded":  # recorded: once, whole, with its audit entry
            assert row["chosen_options"] == APPROVE and logged[map_index] == 1, (map_index, row)
        else:  # refused: nothing of it stays, and the request still takes an answer
            assert statuses[map_index] != 200, f"request {map_index}: 200 but not recorded: {row}"
            assert row["status"] == "pending" and row["chosen_options"] is None, (map_index, row)
            assert logged[map_index] == 0, (map_index, row)
            again = wait_for(
                lambda m=map_index: servers[0].respond(ANSWERED_20, run_id, GATE, APPROVE, map_index=m),
                30,
                f"request {map_index} to take its answer again",
            )
            assert again.status_code == 200, again.text
    assert finish(servers[0], ANSWERED_20, run_id, timeout=300) == "success"
    assert_every_gate_succeeded_once(stack, ANSWERED_20, run_id, 20)
    assert answer_log_entries(stack, ANSWERED_20, run_id) == Counter(dict.fromkeys(range(20), 1))
    for name in names:  # both servers still answer
        assert stack.client("admin", name).http.get("/api/v2/monitor/health").status_code == 200


@production("two API servers answer the same requests at the same moment")
def test_two_hundred_answers_over_both_api_servers_have_one_winner_per_request(stack: AirflowStack) -> None:
    names = stack.names("api-server")
    racers = dict(zip(names, RACERS, strict=False))  # one user per server: the record shows who won
    run_id = stack.client("admin").trigger(ANSWERED_100)
    wait_for_pending(stack, ANSWERED_100, run_id, 100, timeout=420)
    local = threading.local()
    start = threading.Barrier(50)

    def answer(job: tuple[int, str]) -> tuple[int, str, int]:
        map_index, name = job
        clients = getattr(local, "clients", None)
        if clients is None:
            clients = local.clients = {n: stack.client(racers[n], n) for n in names}
            start.wait(timeout=60)
        response = clients[name].respond(ANSWERED_100, run_id, GATE, APPROVE, map_index=map_index)
        return map_index, name, response.status_code

    jobs = [(map_index, name) for map_index in range(100) for name in names]
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(answer, jobs))

    by_request: dict[int, list[int]] = {}
    winners: dict[int, str] = {}
    for map_index, name, status in results:
        by_request.setdefault(map_index, []).append(status)
        if status == 200:
            winners[map_index] = racers[name]
    assert {index: sorted(statuses) for index, statuses in by_request.items()} == {
        index: [200, 409] for index in range(100)
    }
    print(f"winners by API server: {Counter(winners.values())}")
    rows = {row["map_index"]: row for row in requests_of(stack, ANSWERED_100, run_id)}
    assert {index: row["responded_by_name"] for index, row in rows.items()} == winners
    assert finish(stack.client("admin"), ANSWERED_100, run_id, timeout=420) == "success"
    assert_every_gate_succeeded_once(stack, ANSWERED_100, run_id, 100)
    assert answer_log_entries(stack, ANSWERED_100, run_id) == Counter(dict.fromkeys(range(100), 1))
