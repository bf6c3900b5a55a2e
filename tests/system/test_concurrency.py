"""First responder wins: many people answer the same request at the same moment."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import RACERS

if TYPE_CHECKING:
    from collections.abc import Callable

    import httpx

    from tests.system.airflow_stack import AirflowStack, ApiClient

pytestmark = pytest.mark.system

EXAMPLE, GATE = "example_hitl_approval", "approve_publication"


def test_fifty_concurrent_answers_give_one_200_and_the_task_resumes_once(stack: AirflowStack) -> None:
    if stack.config.database != "postgres":
        pytest.skip("row-lock contention between API server processes is exercised on PostgreSQL only")
    admin = stack.client("admin")
    clients = [stack.client(name) for name in RACERS]  # tokens first, so the race is only the PATCH
    run_id = admin.trigger(EXAMPLE)
    admin.wait_for_request(EXAMPLE, run_id, GATE)
    choices = {name: random.choice(["Approve", "Reject"]) for name in RACERS}
    start = threading.Barrier(len(clients))

    def answer(index: int) -> httpx.Response:
        client = clients[index]
        start.wait()
        return client.respond(EXAMPLE, run_id, GATE, [choices[client.user]])

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        responses = list(pool.map(answer, range(len(clients))))

    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (len(clients) - 1), [
        r.text for r in responses if r.status_code not in (200, 409)
    ]
    winner = next(client.user for client, r in zip(clients, responses, strict=False) if r.status_code == 200)
    for response in responses:
        if response.status_code == 409:
            assert "another answer was recorded first" in response.json()["detail"] or (
                f"already answered by {winner}" in response.json()["detail"]
            )

    detail = admin.get_request(EXAMPLE, run_id, GATE).json()
    assert detail["responded_by_user"]["id"] == winner
    assert detail["chosen_options"] == [choices[winner]]
    admin.wait_for_state(EXAMPLE, run_id, "publish", {"success", "skipped", "failed", "upstream_failed"})
    assert admin.xcom(EXAMPLE, run_id, GATE)["responded_by_user"]["id"] == winner
    assert [(t["try_number"], t["state"]) for t in admin.tries(EXAMPLE, run_id, GATE)] == [(1, "success")]
    audit = admin.http.get(
        "/api/v2/eventLogs", params={"event": "hitl.respond", "dag_id": EXAMPLE, "limit": 100}
    )
    assert [e["owner"] for e in audit.json()["event_logs"] if e["run_id"] == run_id] == [winner]


QUORUM_DAG, QUORUM_GATE, QUORUM = "hitl_policy_quorum_race", "approve_race", 30


def race(clients: list[ApiClient], answer: Callable[[ApiClient], httpx.Response]) -> list[httpx.Response]:
    """Every client sends ``answer(client)`` at the same moment; their responses, in order."""
    start = threading.Barrier(len(clients))

    def send(client: ApiClient) -> httpx.Response:
        start.wait()
        return answer(client)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(send, clients))


def test_fifty_concurrent_voters_fill_a_quorum_of_thirty_once_and_the_task_resumes_once(
    stack: AirflowStack,
) -> None:
    if stack.config.database != "postgres":
        pytest.skip("row-lock contention between API server processes is exercised on PostgreSQL only")
    admin = stack.client("admin")
    clients = [stack.client(name) for name in RACERS]
    run_id = admin.trigger(QUORUM_DAG)
    admin.wait_for_request(QUORUM_DAG, run_id, QUORUM_GATE)

    responses = race(clients, lambda client: client.respond(QUORUM_DAG, run_id, QUORUM_GATE, ["Approve"]))

    accepted = [r.json() for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(accepted) == QUORUM, [r.text for r in refused if r.status_code != 409]
    assert all(r.status_code == 409 for r in refused)
    assert sorted(a["status"] for a in accepted) == ["pending"] * (QUORUM - 1) + ["responded"]
    decider = next(a["responded_by"]["id"] for a in accepted if a["status"] == "responded")

    detail = admin.get_request(QUORUM_DAG, run_id, QUORUM_GATE).json()
    assert (detail["status"], detail["responded_by_user"]["id"]) == ("responded", decider)
    voters = [v["user"]["id"] for v in detail["votes"]]
    assert len(voters) == len(set(voters)) == QUORUM
    assert admin.wait_for_state(QUORUM_DAG, run_id, QUORUM_GATE, {"success", "failed"})["state"] == "success"
    assert len(admin.xcom(QUORUM_DAG, run_id, QUORUM_GATE)["votes"]) == QUORUM
    assert [(t["try_number"], t["state"]) for t in admin.tries(QUORUM_DAG, run_id, QUORUM_GATE)] == [
        (1, "success")
    ]


def test_one_person_voting_ten_times_at_once_is_counted_once(stack: AirflowStack) -> None:
    if stack.config.database != "postgres":
        pytest.skip("row-lock contention between API server processes is exercised on PostgreSQL only")
    admin = stack.client("admin")
    same_person = [stack.client("racer01") for _ in range(10)]
    run_id = admin.trigger(QUORUM_DAG)
    admin.wait_for_request(QUORUM_DAG, run_id, QUORUM_GATE)

    responses = race(same_person, lambda client: client.respond(QUORUM_DAG, run_id, QUORUM_GATE, ["Approve"]))

    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    assert all("You may not vote twice" in r.json()["detail"] for r in responses if r.status_code == 409)
    detail = admin.get_request(QUORUM_DAG, run_id, QUORUM_GATE).json()
    assert (detail["status"], [v["user"]["id"] for v in detail["votes"]]) == ("pending", ["racer01"])
