"""HITL admins are decided by an auth-manager permission, not by a role name.

The permission is ``is_authorized_configuration(method="PUT")`` on the ``hitl`` section. Under
SimpleAuthManager (the stacks' auth manager) the roles ``op`` and ``admin`` hold it, ``user`` and
``viewer`` do not. SimpleAuthManager has four fixed roles, so a role whose *name* contains "admin"
without the permission cannot exist there; that case is specified with an auth manager whose
answers the unit tests choose (``airflow-core/tests/unit/test_hitl_permissions.py``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import on_one_stack

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

pytestmark = [pytest.mark.system, on_one_stack()]

FINISHED = {"success", "skipped", "failed", "upstream_failed"}
DAG_ID, TASK_ID = "hitl_assigned_user", "for_alice"  # assigned to alice only
REFUSED = "Only HITL admins may manage responder groups"


def test_a_user_whose_role_is_not_named_admin_but_holds_the_permission_manages_groups(
    stack: AirflowStack,
) -> None:
    op = stack.client("op").http
    name = f"op-managed-{uuid.uuid4().hex[:8]}"
    created = op.post("/api/v2/hitl/groups", json={"name": name, "members": ["bob"]})
    assert created.status_code == 201, created.text
    assert op.put(f"/api/v2/hitl/groups/{name}/members/alice").json()["members"] == ["alice", "bob"]
    changed = op.patch(f"/api/v2/hitl/groups/{name}", json={"description": "run by an operator"})
    assert changed.json()["description"] == "run by an operator"
    assert op.delete(f"/api/v2/hitl/groups/{name}/members/bob").json()["members"] == ["alice"]
    assert op.delete(f"/api/v2/hitl/groups/{name}").status_code == 204
    assert op.get(f"/api/v2/hitl/groups/{name}").status_code == 404

    # Every change is in Airflow's audit log, with who made it; a refused one is not.
    assert stack.client("user").http.delete(f"/api/v2/hitl/groups/{name}").status_code == 403
    assert op.post("/api/v2/hitl/groups", json={"name": f"{name}/sub"}).status_code == 422
    logs = stack.client("admin").http.get("/api/v2/eventLogs", params={"limit": 100, "order_by": "-id"})
    entries = [
        e for e in logs.json()["event_logs"] if e["event"].startswith("hitl.") and name in (e["extra"] or "")
    ]
    assert [(e["event"], e["owner"]) for e in reversed(entries)] == [
        ("hitl.create_hitl_group", "op"),
        ("hitl.add_hitl_group_member", "op"),
        ("hitl.patch_hitl_group", "op"),
        ("hitl.remove_hitl_group_member", "op"),
        ("hitl.delete_hitl_group", "op"),
    ]


def test_a_user_whose_role_is_not_named_admin_but_holds_the_permission_overrides(stack: AirflowStack) -> None:
    admin, op = stack.client("admin"), stack.client("op")
    run_id = admin.trigger(DAG_ID)
    admin.wait_for_request(DAG_ID, run_id, TASK_ID)
    before = op.get_request(DAG_ID, run_id, TASK_ID).json()
    assert (before["can_respond"], before["respond_as_override"]) == (True, True)

    answered = op.respond(DAG_ID, run_id, TASK_ID, ["Reject"])
    assert answered.status_code == 200, answered.text
    detail = admin.get_request(DAG_ID, run_id, TASK_ID).json()
    assert (detail["responded_by_user"]["id"], detail["override"]) == ("op", True)
    logs = admin.http.get("/api/v2/eventLogs", params={"event": "hitl.override", "dag_id": DAG_ID}).json()
    assert [e["owner"] for e in logs["event_logs"] if e["run_id"] == run_id] == ["op"]
    assert admin.wait_for_state(DAG_ID, run_id, "after_alice", FINISHED)["state"] == "skipped"


@pytest.mark.parametrize("user", ["user", "viewer"])
def test_users_without_the_permission_neither_manage_groups_nor_override(
    stack: AirflowStack, user: str
) -> None:
    admin, client = stack.client("admin"), stack.client(user)
    name = f"not-theirs-{uuid.uuid4().hex[:8]}"
    refused = client.http.post("/api/v2/hitl/groups", json={"name": name})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(REFUSED)
    assert "configuration" in refused.json()["detail"]
    assert client.http.get(f"/api/v2/hitl/groups/{name}").status_code == 404

    run_id = admin.trigger(DAG_ID)
    admin.wait_for_request(DAG_ID, run_id, TASK_ID)
    detail = client.get_request(DAG_ID, run_id, TASK_ID).json()
    assert (detail["can_respond"], detail["respond_as_override"]) == (False, False)
    assert client.respond(DAG_ID, run_id, TASK_ID, ["Reject"]).status_code == 403
    assert admin.respond(DAG_ID, run_id, TASK_ID, ["Approve"]).status_code == 200
