"""Answer policies on real Airflow components: reasons with answers (``require_comment_on``) and
separation of duties (``allow_self_approval``, ``excluded_users``)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any

import pytest

from airflow.hitl.policy import COMMENT_MAX_LENGTH
from tests.system.airflow_stack import on_one_stack

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack, ApiClient

pytestmark = pytest.mark.system

COMMENT_DAG = "hitl_policy_comment"
COMMENT_GATE = "approve_payment"
FINISHED = {"success", "skipped", "failed", "upstream_failed"}


def audit_entries(
    api: ApiClient, dag_id: str, run_id: str, event: str = "hitl.respond"
) -> list[dict[str, Any]]:
    """Airflow's audit log entries of one run's answers, with their ``extra`` parsed."""
    logs = api.http.get("/api/v2/eventLogs", params={"dag_id": dag_id, "event": event}).json()
    return [
        {**entry, "extra": ast.literal_eval(entry["extra"])}
        for entry in logs["event_logs"]
        if entry["run_id"] == run_id
    ]


@on_one_stack()
def test_reject_without_a_reason_gets_422_and_with_one_is_recorded_everywhere(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(COMMENT_DAG)
    request = api.wait_for_request(COMMENT_DAG, run_id, COMMENT_GATE)
    assert request["policy"] == {
        "require_comment_on": ["Reject"],
        "allow_self_approval": True,
        "excluded_users": [],
        "required_votes": {},
    }

    for missing in (None, "", "   "):
        refused = api.respond(COMMENT_DAG, run_id, COMMENT_GATE, ["Reject"], comment=missing)
        assert refused.status_code == 422, refused.text
        (problem,) = refused.json()["detail"]
        assert problem["loc"] == ["body", "comment"]
        assert (
            problem["msg"] == "a comment is required when choosing 'Reject': say why in the answer's comment"
        )
    too_long = api.respond(
        COMMENT_DAG, run_id, COMMENT_GATE, ["Reject"], comment="x" * (COMMENT_MAX_LENGTH + 1)
    )
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["body", "comment"]
    assert api.get_request(COMMENT_DAG, run_id, COMMENT_GATE).json()["status"] == "pending"
    assert audit_entries(api, COMMENT_DAG, run_id) == []

    answered = api.respond(
        COMMENT_DAG, run_id, COMMENT_GATE, ["Reject"], comment="  Invoice total does not match the order.  "
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["comment"] == "Invoice total does not match the order."

    assert api.wait_for_state(COMMENT_DAG, run_id, "pay", FINISHED)["state"] == "skipped"
    result = api.xcom(COMMENT_DAG, run_id, COMMENT_GATE)
    assert result["chosen_options"] == ["Reject"]
    assert result["comment"] == "Invoice total does not match the order."
    detail = api.get_request(COMMENT_DAG, run_id, COMMENT_GATE).json()
    assert detail["comment"] == "Invoice total does not match the order."
    (entry,) = audit_entries(api, COMMENT_DAG, run_id)
    assert entry["extra"]["comment"] == "Invoice total does not match the order."
    assert entry["extra"]["chosen_options"] == ["Reject"]


@on_one_stack()
def test_approve_needs_no_reason_but_may_carry_one(stack: AirflowStack) -> None:
    api = stack.client("admin")
    run_id = api.trigger(COMMENT_DAG)
    api.wait_for_request(COMMENT_DAG, run_id, COMMENT_GATE)
    answered = api.respond(COMMENT_DAG, run_id, COMMENT_GATE, ["Approve"])
    assert answered.status_code == 200, answered.text
    assert answered.json()["comment"] is None
    assert api.wait_for_state(COMMENT_DAG, run_id, "pay", FINISHED)["state"] == "success"
    assert api.xcom(COMMENT_DAG, run_id, COMMENT_GATE)["comment"] is None
    assert "comment" not in audit_entries(api, COMMENT_DAG, run_id)[0]["extra"]


FOUR_EYES_DAG = "hitl_policy_four_eyes"
FOUR_EYES_GATE = "approve_release"
SELF_APPROVAL = (
    "you triggered this DAG run, and its requests may not be answered by who triggered it "
    "(allow_self_approval=False)"
)


def refusal(api: ApiClient, run_id: str) -> str:
    """The 403 an answer of ``api``'s user gets at the four-eyes gate (nothing is recorded)."""
    refused = api.respond(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE, ["Approve"])
    assert refused.status_code == 403, refused.text
    return refused.json()["detail"]


@on_one_stack()
def test_whoever_triggered_the_run_and_excluded_users_may_not_answer(stack: AirflowStack) -> None:
    creator, excluded, other = stack.client("racer01"), stack.client("racer03"), stack.client("racer02")
    run_id = creator.trigger(FOUR_EYES_DAG)
    request = creator.wait_for_request(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE)
    assert request["policy"]["allow_self_approval"] is False
    assert (request["can_respond"], request["cannot_respond_reason"]) == (False, SELF_APPROVAL)

    assert refusal(creator, run_id) == f"You may not answer this request: {SELF_APPROVAL}"
    assert refusal(excluded, run_id) == (
        "You may not answer this request: you are among the users this request excludes from "
        "answering (excluded_users)"
    )
    assert other.get_request(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE).json()["can_respond"] is True
    assert audit_entries(other, FOUR_EYES_DAG, run_id) == []

    answered = other.respond(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE, ["Approve"])
    assert answered.status_code == 200, answered.text
    assert other.wait_for_state(FOUR_EYES_DAG, run_id, "release", FINISHED)["state"] == "success"


@on_one_stack()
def test_a_run_triggered_without_a_run_id_as_the_ui_form_does_keeps_its_creator_out(
    stack: AirflowStack,
) -> None:
    creator = stack.client("racer04")
    creator.wait_for_dag(FOUR_EYES_DAG)
    triggered = creator.http.post(f"/api/v2/dags/{FOUR_EYES_DAG}/dagRuns", json={"logical_date": None})
    assert triggered.status_code == 200, triggered.text
    run_id = triggered.json()["dag_run_id"]
    creator.wait_for_request(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE)
    assert refusal(creator, run_id) == f"You may not answer this request: {SELF_APPROVAL}"
    assert (
        stack.client("racer05").respond(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE, ["Approve"]).status_code == 200
    )


@on_one_stack()
def test_a_run_without_a_recorded_user_keeps_only_the_excluded_users_out(stack: AirflowStack) -> None:
    # `airflow dags trigger` records the operating-system account, no Airflow user.
    run_id = f"cli__{FOUR_EYES_DAG}"
    stack.client().wait_for_dag(FOUR_EYES_DAG)
    stack.run_airflow("dags", "trigger", FOUR_EYES_DAG, "--run-id", run_id)
    anyone = stack.client("racer01")
    anyone.wait_for_request(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE)
    assert refusal(stack.client("racer03"), run_id).endswith("(excluded_users)")
    assert anyone.respond(FOUR_EYES_DAG, run_id, FOUR_EYES_GATE, ["Approve"]).status_code == 200


QUORUM_DAG, QUORUM_GATE = "hitl_policy_quorum", "approve_change"


def vote(api: ApiClient, dag_id: str, run_id: str, task_id: str, option: str) -> dict[str, Any]:
    answered = api.respond(dag_id, run_id, task_id, [option])
    assert answered.status_code == 200, answered.text
    return answered.json()


@on_one_stack()
def test_two_distinct_approvals_complete_the_request_and_the_task_resumes_once(stack: AirflowStack) -> None:
    first, second, admin = stack.client("racer10"), stack.client("racer11"), stack.client()
    run_id = admin.trigger(QUORUM_DAG)
    request = admin.wait_for_request(QUORUM_DAG, run_id, QUORUM_GATE)
    assert request["policy"]["required_votes"] == {"Approve": 2}

    recorded = vote(first, QUORUM_DAG, run_id, QUORUM_GATE, "Approve")
    assert (recorded["status"], recorded["chosen_options"]) == ("pending", ["Approve"])
    assert [v["user"]["id"] for v in recorded["votes"]] == ["racer10"]
    again = first.respond(QUORUM_DAG, run_id, QUORUM_GATE, ["Approve"])
    assert again.status_code == 409
    assert again.json()["detail"].startswith("You may not vote twice: you voted 'Approve' at ")
    mine = first.get_request(QUORUM_DAG, run_id, QUORUM_GATE).json()
    assert mine["status"] == "pending" and mine["can_respond"] is False
    assert mine["cannot_respond_reason"].endswith(
        "the request waits for more votes (Approve: 1 of 2, Reject: 0 of 1)"
    )
    assert admin.task_instance(QUORUM_DAG, run_id, QUORUM_GATE)["state"] == "deferred"

    completed = vote(second, QUORUM_DAG, run_id, QUORUM_GATE, "Approve")
    assert completed["status"] == "responded"
    assert completed["responded_by"]["id"] == "racer11"
    assert admin.wait_for_state(QUORUM_DAG, run_id, "apply_change", FINISHED)["state"] == "success"
    result = admin.xcom(QUORUM_DAG, run_id, QUORUM_GATE)
    assert result["chosen_options"] == ["Approve"]
    assert [(v["user"]["id"], v["chosen_options"], v["channel"]) for v in result["votes"]] == [
        ("racer10", ["Approve"], "api"),
        ("racer11", ["Approve"], "api"),
    ]
    detail = admin.get_request(QUORUM_DAG, run_id, QUORUM_GATE).json()
    assert [v["user"]["id"] for v in detail["votes"]] == ["racer10", "racer11"]
    assert [(t["try_number"], t["state"]) for t in admin.tries(QUORUM_DAG, run_id, QUORUM_GATE)] == [
        (1, "success")
    ]
    assert len(audit_entries(admin, QUORUM_DAG, run_id, "hitl.vote")) == 2
    assert len(audit_entries(admin, QUORUM_DAG, run_id)) == 1
    late = stack.client("racer12").respond(QUORUM_DAG, run_id, QUORUM_GATE, ["Reject"])
    assert late.status_code == 409


@on_one_stack()
def test_one_rejection_rejects_a_request_that_needs_two_approvals(stack: AirflowStack) -> None:
    admin = stack.client()
    run_id = admin.trigger(QUORUM_DAG)
    admin.wait_for_request(QUORUM_DAG, run_id, QUORUM_GATE)
    assert vote(stack.client("racer12"), QUORUM_DAG, run_id, QUORUM_GATE, "Approve")["status"] == "pending"
    assert vote(stack.client("racer13"), QUORUM_DAG, run_id, QUORUM_GATE, "Reject")["status"] == "responded"
    assert admin.wait_for_state(QUORUM_DAG, run_id, "apply_change", FINISHED)["state"] == "skipped"
    result = admin.xcom(QUORUM_DAG, run_id, QUORUM_GATE)
    assert result["chosen_options"] == ["Reject"]
    assert [v["chosen_options"] for v in result["votes"]] == [["Approve"], ["Reject"]]


@on_one_stack()
def test_on_a_single_choice_the_first_option_to_reach_its_quorum_wins(stack: AirflowStack) -> None:
    dag_id, task_id = "hitl_policy_quorum_choice", "pick_colour"
    admin = stack.client()
    run_id = admin.trigger(dag_id)
    admin.wait_for_request(dag_id, run_id, task_id)
    assert vote(stack.client("racer14"), dag_id, run_id, task_id, "red")["status"] == "pending"
    assert vote(stack.client("racer15"), dag_id, run_id, task_id, "green")["status"] == "pending"
    assert vote(stack.client("racer16"), dag_id, run_id, task_id, "red")["status"] == "responded"
    assert admin.wait_for_state(dag_id, run_id, task_id, FINISHED)["state"] == "success"
    result = admin.xcom(dag_id, run_id, task_id)
    assert (result["chosen_options"], len(result["votes"])) == (["red"], 3)
