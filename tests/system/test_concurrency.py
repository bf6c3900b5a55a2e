"""First responder wins: many people answer the same request at the same moment."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import RACERS

if TYPE_CHECKING:
    import httpx

    from tests.system.airflow_stack import AirflowStack

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
