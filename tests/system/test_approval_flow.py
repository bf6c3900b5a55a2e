"""The approval flow end to end on real Airflow components (every stack configuration)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import on_one_stack, wait_for

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

pytestmark = pytest.mark.system

EXAMPLE = "example_hitl_approval"
GATE = "approve_publication"


def test_approving_the_example_publishes_and_records_the_responder(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(EXAMPLE)
    request = api.wait_for_request(EXAMPLE, run_id, GATE)
    assert request["status"] == "pending"
    assert request["subject"] == "Publish the report 'Q3 revenue'?"
    assert request["options"] == ["Approve", "Reject"]
    assert request["task_instance"]["state"] == "deferred"

    response = api.respond(EXAMPLE, run_id, GATE, ["Approve"])
    assert response.status_code == 200, response.text
    assert response.json()["responded_by"] == {"id": "admin", "name": "admin"}

    assert (
        api.wait_for_state(EXAMPLE, run_id, "publish", {"success", "skipped", "failed", "upstream_failed"})[
            "state"
        ]
        == "success"
    )
    result = api.xcom(EXAMPLE, run_id, GATE)
    assert result["chosen_options"] == ["Approve"]
    assert result["responded_by_user"] == {"id": "admin", "name": "admin"}
    assert result["timed_out"] is False
    detail = api.get_request(EXAMPLE, run_id, GATE).json()
    assert detail["status"] == "responded"
    assert detail["response_channel"] == "api"
    assert detail["resumed_at"] is not None


def test_rejecting_skips_downstream(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(EXAMPLE)
    api.wait_for_request(EXAMPLE, run_id, GATE)
    assert api.respond(EXAMPLE, run_id, GATE, ["Reject"]).status_code == 200
    assert (
        api.wait_for_state(EXAMPLE, run_id, "publish", {"success", "skipped", "failed"})["state"] == "skipped"
    )
    assert api.task_instance(EXAMPLE, run_id, GATE)["state"] == "success"
    assert api.xcom(EXAMPLE, run_id, GATE)["chosen_options"] == ["Reject"]


def test_second_response_gets_409_and_task_resumes_once(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(EXAMPLE)
    api.wait_for_request(EXAMPLE, run_id, GATE)
    assert api.respond(EXAMPLE, run_id, GATE, ["Approve"]).status_code == 200
    second = api.respond(EXAMPLE, run_id, GATE, ["Reject"])
    assert second.status_code == 409
    assert "already answered by admin" in second.json()["detail"]
    assert (
        api.wait_for_state(EXAMPLE, run_id, "publish", {"success", "skipped", "failed", "upstream_failed"})[
            "state"
        ]
        == "success"
    )
    assert api.xcom(EXAMPLE, run_id, GATE)["chosen_options"] == ["Approve"]
    assert [t["try_number"] for t in api.tries(EXAMPLE, run_id, GATE)] == [1]


def test_invalid_answers_are_refused_and_change_nothing(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(EXAMPLE)
    api.wait_for_request(EXAMPLE, run_id, GATE)

    typo = api.respond(EXAMPLE, run_id, GATE, ["Aprove"])
    assert typo.status_code == 400
    assert typo.json()["detail"] == "option 'Aprove' is not one of ['Approve', 'Reject']"
    both = api.respond(EXAMPLE, run_id, GATE, ["Approve", "Reject"])
    assert both.status_code == 400
    assert "only one option may be chosen" in both.json()["detail"]
    malformed = api.http.patch(api.task_path(EXAMPLE, run_id, GATE), json={"chosen_options": "Approve"})
    assert malformed.status_code == 422
    unknown_field = api.respond(EXAMPLE, run_id, GATE, ["Approve"], {"comment": "ok"})
    assert unknown_field.status_code == 422
    assert unknown_field.json()["detail"][0]["loc"] == ["body", "params_input", "comment"]
    oversized = api.respond(EXAMPLE, run_id, GATE, ["Approve"], {"blob": "x" * 1_100_000})
    assert oversized.status_code == 413
    assert "larger than 1000000 bytes" in oversized.json()["detail"]
    missing_task = api.respond(EXAMPLE, run_id, "no_such_task", ["Approve"])
    assert missing_task.status_code == 404

    detail = api.get_request(EXAMPLE, run_id, GATE).json()
    assert detail["status"] == "pending" and detail["responded_at"] is None
    assert api.respond(EXAMPLE, run_id, GATE, ["Approve"]).status_code == 200
    assert (
        api.wait_for_state(EXAMPLE, run_id, "publish", {"success", "skipped", "failed", "upstream_failed"})[
            "state"
        ]
        == "success"
    )


def test_answer_sent_the_moment_the_request_appears_resumes_exactly_once(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(EXAMPLE)
    api.wait_for_request(EXAMPLE, run_id, GATE, interval=0.02)
    answered = api.respond(EXAMPLE, run_id, GATE, ["Approve"])
    assert answered.status_code == 200, answered.text
    assert (
        api.wait_for_state(EXAMPLE, run_id, "publish", {"success", "skipped", "failed", "upstream_failed"})[
            "state"
        ]
        == "success"
    )
    assert [(t["try_number"], t["state"]) for t in api.tries(EXAMPLE, run_id, GATE)] == [(1, "success")]


def test_viewer_without_assignment_may_not_answer_and_is_told_why(stack: AirflowStack) -> None:
    admin, viewer = stack.client("admin"), stack.client("viewer")
    run_id = admin.trigger(EXAMPLE)
    admin.wait_for_request(EXAMPLE, run_id, GATE)
    refused = viewer.respond(EXAMPLE, run_id, GATE, ["Approve"])
    assert refused.status_code == 403
    assert "needs edit access to DAG 'example_hitl_approval'" in refused.json()["detail"]
    assert viewer.get_request(EXAMPLE, run_id, GATE).json()["status"] == "pending"
    assert admin.respond(EXAMPLE, run_id, GATE, ["Reject"]).status_code == 200


def test_timeout_applies_the_defaults(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger("hitl_timeout_with_default")
    request = api.wait_for_request("hitl_timeout_with_default", run_id, "gate")
    assert request["deadline"] is not None
    assert (
        api.wait_for_state(
            "hitl_timeout_with_default", run_id, "after", {"success", "skipped", "failed", "upstream_failed"}
        )["state"]
        == "success"
    )
    result = api.xcom("hitl_timeout_with_default", run_id, "gate")
    assert result["timed_out"] is True
    assert result["chosen_options"] == ["Approve"]
    assert result["responded_by_user"] is None
    detail = api.get_request("hitl_timeout_with_default", run_id, "gate").json()
    assert detail["status"] == "timed_out"
    assert detail["chosen_options"] == ["Approve"]
    assert detail["response_channel"] == "timeout"


def test_timeout_without_defaults_fails_the_task_clearly(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger("hitl_timeout_without_default")
    api.wait_for_request("hitl_timeout_without_default", run_id, "question")
    assert (
        api.wait_for_state("hitl_timeout_without_default", run_id, "question", {"success", "failed"})["state"]
        == "failed"
    )
    assert (
        api.wait_for_state(
            "hitl_timeout_without_default", run_id, "after_question", {"upstream_failed", "success"}
        )["state"]
        == "upstream_failed"
    )
    detail = api.get_request("hitl_timeout_without_default", run_id, "question").json()
    assert detail["status"] == "timed_out"
    assert detail["chosen_options"] == []


def test_answer_after_the_deadline_gets_409(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger("hitl_timeout_with_default")
    request = api.wait_for_request("hitl_timeout_with_default", run_id, "gate")
    deadline = datetime.fromisoformat(request["deadline"].replace("Z", "+00:00"))
    time.sleep(max(0.0, deadline.timestamp() - time.time()) + 0.2)
    late = api.respond("hitl_timeout_with_default", run_id, "gate", ["Reject"])
    assert late.status_code == 409
    assert "takes no answers" in late.json()["detail"]
    assert (
        api.wait_for_state(
            "hitl_timeout_with_default", run_id, "after", {"success", "skipped", "failed", "upstream_failed"}
        )["state"]
        == "success"
    )
    assert api.xcom("hitl_timeout_with_default", run_id, "gate")["chosen_options"] == ["Approve"]


def test_fail_on_reject_fails_the_task(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger("hitl_fail_on_reject")
    api.wait_for_request("hitl_fail_on_reject", run_id, "strict_gate")
    assert api.respond("hitl_fail_on_reject", run_id, "strict_gate", ["Reject"]).status_code == 200
    assert (
        api.wait_for_state("hitl_fail_on_reject", run_id, "strict_gate", {"success", "failed"})["state"]
        == "failed"
    )
    assert (
        api.wait_for_state("hitl_fail_on_reject", run_id, "after_strict", {"upstream_failed", "success"})[
            "state"
        ]
        == "upstream_failed"
    )


def test_a_retry_asks_again_and_keeps_the_first_trys_answer(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id, task_id = "hitl_retry_after_reject", "retried_gate"
    run_id = api.trigger(dag_id)
    first = api.wait_for_request(dag_id, run_id, task_id)
    assert first["task_instance"]["try_number"] == 1
    assert api.respond(dag_id, run_id, task_id, ["Reject"]).status_code == 200

    def second_try() -> dict | None:
        detail = api.get_request(dag_id, run_id, task_id).json()
        return (
            detail if detail["task_instance"]["try_number"] == 2 and detail["status"] == "pending" else None
        )

    second = wait_for(second_try, 120, "the retry's request")
    assert second["task_instance"]["id"] != first["task_instance"]["id"]
    assert api.respond(dag_id, run_id, task_id, ["Approve"]).status_code == 200
    assert (
        api.wait_for_state(dag_id, run_id, "after_retry", {"success", "upstream_failed"})["state"]
        == "success"
    )

    both = api.list_requests(dag_id, run_id, order_by="created_at")["hitl_details"]
    assert [(d["task_instance"]["try_number"], d["status"], d["chosen_options"]) for d in both] == [
        (1, "responded", ["Reject"]),
        (2, "responded", ["Approve"]),
    ]
    assert both[0]["task_instance"]["id"] == first["task_instance"]["id"]
    first_try = api.http.get(api.task_path(dag_id, run_id, task_id) + "/tries/1").json()
    assert (first_try["task_instance"]["try_number"], first_try["chosen_options"]) == (1, ["Reject"])
    assert api.http.get(api.task_path(dag_id, run_id, task_id) + "/tries/3").status_code == 404


@on_one_stack()
def test_a_run_deleted_and_created_again_under_its_run_id_asks_anew_and_the_deleted_one_leaves(
    stack: AirflowStack,
) -> None:
    # As when a scheduled run is deleted so that the scheduler creates it again. Nothing reads an
    # inbox in between (that would remove the deleted run's request first): the new run's task
    # must get a request of its own although its try has the same number as the deleted one's.
    api = stack.client("admin")
    run_id = api.trigger(EXAMPLE)
    deleted = api.wait_for_request(EXAMPLE, run_id, GATE)["task_instance"]["id"]
    assert api.http.delete(f"/api/v2/dags/{EXAMPLE}/dagRuns/{run_id}").status_code == 204
    created = api.http.post(
        f"/api/v2/dags/{EXAMPLE}/dagRuns", json={"dag_run_id": run_id, "logical_date": None}
    )
    assert created.status_code == 200, created.text
    new = api.wait_for_state(EXAMPLE, run_id, GATE, {"deferred"})["id"]
    # The request lifecycle registers the new try in the background (within a round or two).
    request = wait_for(
        lambda: (found := api.get_request(EXAMPLE, run_id, GATE).json()).get("task_instance", {}).get("id")
        == new
        and found,
        15,
        "the new run's request",
    )
    assert (request["task_instance"]["id"], request["status"]) == (new, "pending")
    assert new != deleted
    assert api.respond(EXAMPLE, run_id, GATE, ["Approve"]).status_code == 200
    assert api.wait_for_run(EXAMPLE, run_id) == "success"

    # Deleted for good: its request leaves the inbox (within [hitl] deleted_runs_check_interval).
    assert api.list_requests(EXAMPLE, run_id)["total_entries"] == 1
    assert api.http.delete(f"/api/v2/dags/{EXAMPLE}/dagRuns/{run_id}").status_code == 204
    wait_for(
        lambda: api.list_requests(EXAMPLE, run_id)["total_entries"] == 0,
        30,
        "the deleted run's request to leave the inbox",
        interval=0.5,
    )
