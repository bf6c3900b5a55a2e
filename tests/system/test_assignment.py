"""Who may answer: assigned users, responder groups managed outside the DAG, admin overrides;
and the inbox queries built on assignment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import on_one_stack

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack, ApiClient

pytestmark = pytest.mark.system

FINISHED = {"success", "skipped", "failed", "upstream_failed"}


def ensure_group(stack: AirflowStack, name: str, members: list[str]) -> None:
    admin = stack.client("admin").http
    response = admin.post("/api/v2/hitl/groups", json={"name": name, "members": members})
    if response.status_code == 409:
        for member in admin.get(f"/api/v2/hitl/groups/{name}").json()["members"]:
            admin.delete(f"/api/v2/hitl/groups/{name}/members/{member}")
        for member in members:
            admin.put(f"/api/v2/hitl/groups/{name}/members/{member}").raise_for_status()
    else:
        assert response.status_code == 201, response.text


def test_assigned_user_answers_with_read_access_and_others_are_told_why_not(stack: AirflowStack) -> None:
    admin, alice, bob, user = (stack.client(u) for u in ("admin", "alice", "bob", "user"))
    dag_id, task_id = "hitl_assigned_user", "for_alice"
    run_id = admin.trigger(dag_id)
    request = admin.wait_for_request(dag_id, run_id, task_id)
    assert request["assigned_users"] == [{"id": "alice", "name": "Alice"}]

    before = {c.user: c.get_request(dag_id, run_id, task_id).json() for c in (alice, bob, admin)}
    assert (before["alice"]["can_respond"], before["alice"]["cannot_respond_reason"]) == (True, None)
    assert before["bob"]["can_respond"] is False
    assert "you are not among them" in before["bob"]["cannot_respond_reason"]
    assert (before["admin"]["can_respond"], before["admin"]["respond_as_override"]) == (True, True)
    for stranger in (bob, user):
        refused = stranger.respond(dag_id, run_id, task_id, ["Approve"])
        assert refused.status_code == 403
        assert "assigned to users ['alice']; you are not among them" in refused.json()["detail"]
    answered = alice.respond(dag_id, run_id, task_id, ["Approve"])
    assert answered.status_code == 200, answered.text
    assert admin.wait_for_state(dag_id, run_id, "after_alice", FINISHED)["state"] == "success"
    detail = admin.get_request(dag_id, run_id, task_id).json()
    assert detail["responded_by_user"] == {"id": "alice", "name": "alice"}
    assert detail["override"] is False
    assert detail["can_respond"] is False
    assert detail["cannot_respond_reason"].startswith("already answered by alice")


def test_admin_may_override_and_the_override_is_audited(stack: AirflowStack) -> None:
    admin = stack.client("admin")
    dag_id, task_id = "hitl_assigned_user", "for_alice"
    run_id = admin.trigger(dag_id)
    admin.wait_for_request(dag_id, run_id, task_id)
    assert admin.respond(dag_id, run_id, task_id, ["Reject"]).status_code == 200
    assert admin.get_request(dag_id, run_id, task_id).json()["override"] is True
    logs = admin.http.get("/api/v2/eventLogs", params={"event": "hitl.override", "dag_id": dag_id}).json()
    entries = [e for e in logs["event_logs"] if e["run_id"] == run_id]
    assert len(entries) == 1
    assert entries[0]["owner"] == "admin"
    assert "'chosen_options': ['Reject']" in entries[0]["extra"]
    assert admin.wait_for_state(dag_id, run_id, "after_alice", FINISHED)["state"] == "skipped"


def test_group_membership_decides_and_a_change_applies_to_pending_requests(stack: AirflowStack) -> None:
    ensure_group(stack, "finance", ["alice"])
    admin, alice, bob = (stack.client(u) for u in ("admin", "alice", "bob"))
    dag_id, task_id = "hitl_assigned_group", "for_finance"
    run_id = admin.trigger(dag_id)
    admin.wait_for_request(dag_id, run_id, task_id)

    mine = alice.list_requests(dag_id, run_id, assigned_to_me="true", status="pending")
    assert [d["task_instance"]["task_id"] for d in mine["hitl_details"]] == [task_id]
    assert bob.list_requests(dag_id, run_id, assigned_to_me="true")["total_entries"] == 0
    assert alice.http.get("/api/v2/hitl/counts", params={"dag_id": dag_id}).json()["pending_for_me"] >= 1
    refused = bob.respond(dag_id, run_id, task_id, ["Approve"])
    assert refused.status_code == 403
    assert "groups ['controllers', 'finance']" in refused.json()["detail"]

    admin.http.put("/api/v2/hitl/groups/finance/members/bob").raise_for_status()
    assert bob.list_requests(dag_id, run_id, assigned_to_me="true")["total_entries"] == 1
    assert bob.respond(dag_id, run_id, task_id, ["Approve"]).status_code == 200
    assert admin.wait_for_state(dag_id, run_id, "after_finance", FINISHED)["state"] == "success"
    assert admin.list_requests(dag_id, run_id, responded_by_user_id="bob")["total_entries"] == 1
    admin.http.delete("/api/v2/hitl/groups/finance/members/bob").raise_for_status()


def test_only_admins_manage_groups(stack: AirflowStack) -> None:
    viewer, admin = stack.client("viewer").http, stack.client("admin").http
    refused = viewer.post("/api/v2/hitl/groups", json={"name": "sneaky", "members": ["viewer"]})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Only HITL admins may manage responder groups")
    assert viewer.get("/api/v2/hitl/groups/sneaky").status_code == 404
    ensure_group(stack, "auditors", ["bob"])
    assert admin.post("/api/v2/hitl/groups", json={"name": "auditors"}).status_code == 409
    assert viewer.get("/api/v2/hitl/groups/auditors").json()["members"] == ["bob"]
    assert admin.delete("/api/v2/hitl/groups/auditors").status_code == 204
    assert admin.get("/api/v2/hitl/groups/auditors").status_code == 404


@on_one_stack()
def test_group_values_the_database_cannot_hold_are_refused_per_field(stack: AirflowStack) -> None:
    # The columns hold 250 characters: PostgreSQL refused longer values with a server error.
    admin = stack.client("admin").http
    too_long = "x" * 251
    bad_bodies = [
        (["body", "name"], {"name": too_long}),
        (["body", "name"], {"name": " padded"}),
        (["body", "name"], {"name": "eu/ops"}),
        (["body", "name"], {"name": ".."}),  # GET /groups/.. could never name it
        (["body", "name"], {"name": "ops?"}),  # nor a client that does not encode '?'
        (["body", "name"], {"name": "eu\nops"}),  # nor any URL: the API server's routing refuses it
        (["body", "members", 0], {"name": "ok-name", "members": ["a#b"]}),
        (["body", "follows_role"], {"name": "ok-name", "follows_role": too_long}),
        (["body", "members", 0], {"name": "ok-name", "members": [too_long]}),
    ]
    for location, body in bad_bodies:
        refused = admin.post("/api/v2/hitl/groups", json=body)
        assert refused.status_code == 422, refused.text
        assert [error["loc"] for error in refused.json()["detail"]] == [location], refused.text
    assert admin.get("/api/v2/hitl/groups/ok-name").status_code == 404  # nothing was created
    ensure_group(stack, "limits", [])
    for user_id in (too_long, "bob%09"):  # %09: a tab
        refused = admin.put(f"/api/v2/hitl/groups/limits/members/{user_id}")
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["path", "user_id"]
    refused = admin.patch("/api/v2/hitl/groups/limits", json={"follows_role": too_long})
    assert refused.status_code == 422, refused.text
    assert admin.get("/api/v2/hitl/groups/limits").json()["members"] == []


def test_inbox_filters_narrow_the_list(stack: AirflowStack) -> None:
    admin = stack.client("admin")
    run_id = admin.trigger("hitl_assigned_user")
    admin.wait_for_request("hitl_assigned_user", run_id, "for_alice")
    found = admin.list_requests(
        subject_search="approve the budget", dag_id_pattern="assigned_user", status="pending"
    )
    assert run_id in {d["task_instance"]["dag_run_id"] for d in found["hitl_details"]}
    assert admin.list_requests(subject_search="no request says this")["total_entries"] == 0
    by_task = admin.list_requests(task_id_pattern="for_ali", status="pending")["hitl_details"]
    assert run_id in {d["task_instance"]["dag_run_id"] for d in by_task}
    unsorted = admin.http.get("/api/v2/dags/~/dagRuns/~/hitlDetails", params={"order_by": "nonsense"})
    assert unsorted.status_code == 400
    assert (
        stack.client("alice").respond("hitl_assigned_user", run_id, "for_alice", ["Approve"]).status_code
        == 200
    )


@on_one_stack()
def test_pending_for_me_holds_my_assigned_requests_and_unassigned_ones_i_may_answer(
    stack: AirflowStack,
) -> None:
    admin, user, alice = stack.client("admin"), stack.client("user"), stack.client("alice")
    unassigned_run = admin.trigger("hitl_unassigned")
    alices_run = admin.trigger("hitl_assigned_user")
    admin.wait_for_request("hitl_unassigned", unassigned_run, "for_editors")
    admin.wait_for_request("hitl_assigned_user", alices_run, "for_alice")

    def for_me(client: ApiClient) -> set[str]:
        found = client.list_requests(for_me="true", status="pending", limit=100)["hitl_details"]
        return {d["task_instance"]["dag_run_id"] for d in found}

    # Unassigned: for those who may edit the DAG (and so may answer it), not for a reader.
    assert unassigned_run in for_me(user) and unassigned_run in for_me(admin)
    assert unassigned_run not in for_me(alice)
    # Assigned to alice (a reader): hers, and not the others', not even the admin's (an override).
    assert alices_run in for_me(alice)
    assert alices_run not in for_me(user) and alices_run not in for_me(admin)
    # The badge counts the same set as the list.
    for client in (admin, user, alice):
        counts = client.http.get("/api/v2/hitl/counts").json()
        listed = client.list_requests(for_me="true", status="pending", limit=1)["total_entries"]
        assert counts["pending_for_me"] == listed, client.user
    assert user.respond("hitl_unassigned", unassigned_run, "for_editors", ["Approve"]).status_code == 200
    assert alice.respond("hitl_assigned_user", alices_run, "for_alice", ["Approve"]).status_code == 200
    assert unassigned_run not in for_me(user) and alices_run not in for_me(alice)


def test_a_group_that_follows_a_role_lets_that_roles_users_answer(stack: AirflowStack) -> None:
    admin, op = stack.client("admin"), stack.client("op")
    created = admin.http.post("/api/v2/hitl/groups", json={"name": "controllers", "follows_role": "op"})
    assert created.status_code in (201, 409), created.text
    dag_id, task_id = "hitl_assigned_group", "for_finance"
    run_id = admin.trigger(dag_id)
    admin.wait_for_request(dag_id, run_id, task_id)
    assert op.list_requests(dag_id, run_id, assigned_to_me="true")["total_entries"] == 1
    assert op.respond(dag_id, run_id, task_id, ["Reject"]).status_code == 200
    assert admin.get_request(dag_id, run_id, task_id).json()["override"] is False
