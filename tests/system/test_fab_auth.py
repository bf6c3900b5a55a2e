"""The feature under the FAB auth manager, on real components (the ``production`` stack).

The stack runs Airflow with ``FabAuthManager``: FAB's tables migrated by ``airflow db migrate``,
users and roles created through FAB (``tests/system/fab_auth.py``), tokens from FAB's
``POST /auth/token``, browsers signed in through FAB's login form. What changes against
SimpleAuthManager, and what each test pins down:

* identities are FAB user ids (``User.get_id()``, the numeric id), names the usernames;
* a responder group follows a FAB role (users have several roles);
* a role with permissions on one DAG only sees, counts and answers that DAG's requests;
* HITL admins hold FAB's "can edit on Configurations", whatever their roles are called;
* the Required Actions app, the nav entry, prepared links and ``airflowctl-hitl`` work with FAB's
  login.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.system.airflow_stack import on_stack
from tests.system.browser import submit_login
from tests.system.fab_auth import TEAM_A_DAG, fab_user_id
from tests.system.test_cli import CliUser
from tests.system.test_prepared_links import mailbox  # noqa: F401 (the SMTP server fixture)

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from playwright.sync_api import BrowserContext, Page

    from tests.system.airflow_stack import AirflowStack, ApiClient
    from tests.system.test_prepared_links import Mailbox

    Browser = Callable[..., AbstractContextManager[BrowserContext]]

pytestmark = [pytest.mark.system, on_stack(name="production", why="its users and roles are FAB's")]

TEAM_B_DAG = "hitl_fab_team_b"
FINISHED = {"success", "skipped", "failed", "upstream_failed"}
VIEWPORT = {"width": 1280, "height": 800}
UI_TIMEOUT_MS = 45_000


def waiting(stack: AirflowStack, dag_id: str, task_id: str = "ask") -> tuple[ApiClient, str, dict[str, Any]]:
    """A new run of ``dag_id`` waiting at ``task_id``: (admin client, run id, request)."""
    admin = stack.client("admin")
    run_id = admin.trigger(dag_id, conf={"marker": uuid.uuid4().hex[:8]})
    return admin, run_id, admin.wait_for_request(dag_id, run_id, task_id)


def run_ids(client: ApiClient, **filters: Any) -> set[str]:
    listed = client.list_requests(status="pending", limit=100, **filters)["hitl_details"]
    return {r["task_instance"]["dag_run_id"] for r in listed}


def test_assigned_users_are_fab_user_ids_and_answers_record_the_fab_id_and_username(
    stack: AirflowStack,
) -> None:
    admin, run_id, request = waiting(stack, "hitl_fab_assigned_user", "for_erin")
    erin_id = fab_user_id("erin")
    assert request["assigned_users"] == [{"id": erin_id, "name": "Erin"}]
    erin, viewer = stack.client("erin"), stack.client("viewer")
    assert run_id in run_ids(erin, assigned_to_me="true")
    assert run_id not in run_ids(viewer, assigned_to_me="true")

    refused = viewer.respond("hitl_fab_assigned_user", run_id, "for_erin", ["Approve"])
    assert refused.status_code == 403
    assert f"assigned to users ['{erin_id}']; you are not among them" in refused.json()["detail"]
    answered = erin.respond("hitl_fab_assigned_user", run_id, "for_erin", ["Approve"])
    assert answered.status_code == 200, answered.text
    assert answered.json()["responded_by"] == {"id": erin_id, "name": "erin"}
    assert admin.wait_for_state("hitl_fab_assigned_user", run_id, "went_on", FINISHED)["state"] == "success"
    detail = admin.get_request("hitl_fab_assigned_user", run_id, "for_erin").json()
    assert (detail["responded_by_user"], detail["override"]) == ({"id": erin_id, "name": "erin"}, False)


def test_a_group_following_a_fab_role_lets_the_users_holding_that_role_answer(stack: AirflowStack) -> None:
    admin = stack.client("admin").http
    created = admin.post("/api/v2/hitl/groups", json={"name": "fab-approvers", "follows_role": "Approvers"})
    assert created.status_code in (201, 409), created.text
    _, run_id, _ = waiting(stack, "hitl_fab_assigned_group", "for_approvers")
    carol, viewer = stack.client("carol"), stack.client("viewer")  # carol: Viewer and Approvers

    assert run_id in run_ids(carol, assigned_to_me="true")
    assert run_id not in run_ids(viewer, assigned_to_me="true")
    assert viewer.respond("hitl_fab_assigned_group", run_id, "for_approvers", ["Approve"]).status_code == 403
    answered = carol.respond("hitl_fab_assigned_group", run_id, "for_approvers", ["Reject"])
    assert answered.status_code == 200, answered.text
    assert answered.json()["responded_by"] == {"id": fab_user_id("carol"), "name": "carol"}


def test_a_role_with_one_dag_sees_counts_and_answers_only_that_dags_requests(stack: AirflowStack) -> None:
    _, run_a, _ = waiting(stack, TEAM_A_DAG)
    admin, run_b, _ = waiting(stack, TEAM_B_DAG)
    dana = stack.client("dana")  # role "Team A": read and edit on DAG:hitl_fab_team_a only

    listed = dana.list_requests(status="pending", limit=100)["hitl_details"]
    assert {r["task_instance"]["dag_id"] for r in listed} == {TEAM_A_DAG}
    assert run_a in run_ids(dana)
    assert run_b in run_ids(admin)
    assert dana.http.get(f"/api/v2/dags/{TEAM_B_DAG}/dagRuns/{run_b}/hitlDetails").status_code == 403
    assert dana.get_request(TEAM_B_DAG, run_b, "ask").status_code == 403
    assert dana.respond(TEAM_B_DAG, run_b, "ask", ["Approve"]).status_code == 403

    counts = dana.http.get("/api/v2/hitl/counts").json()
    pending_a = admin.list_requests(TEAM_A_DAG, status="pending")["total_entries"]
    assert counts["pending"] == pending_a  # team B's requests are not counted at all
    assert counts["pending_for_me"] == pending_a  # unassigned, and dana may edit team A
    detail = dana.get_request(TEAM_A_DAG, run_a, "ask").json()
    assert (detail["can_respond"], detail["respond_as_override"]) == (True, False)
    answered = dana.respond(TEAM_A_DAG, run_a, "ask", ["Approve"])
    assert answered.status_code == 200, answered.text
    assert admin.get_request(TEAM_B_DAG, run_b, "ask").json()["status"] == "pending"
    assert admin.respond(TEAM_B_DAG, run_b, "ask", ["Reject"]).status_code == 200


@pytest.mark.parametrize("user", ["admin", "lead"])
def test_users_with_fabs_can_edit_on_configurations_are_hitl_admins_whatever_their_roles_are_called(
    stack: AirflowStack, user: str
) -> None:
    admin, run_id, _ = waiting(stack, "hitl_fab_assigned_user", "for_erin")
    client = stack.client(user)  # admin: Admin with the permission; lead: Viewer and "Release leads"
    name = f"fab-{user}-{uuid.uuid4().hex[:6]}"
    created = client.http.post("/api/v2/hitl/groups", json={"name": name, "members": [fab_user_id("erin")]})
    assert created.status_code == 201, created.text
    assert client.http.delete(f"/api/v2/hitl/groups/{name}").status_code == 204

    detail = client.get_request("hitl_fab_assigned_user", run_id, "for_erin").json()
    assert (detail["can_respond"], detail["respond_as_override"]) == (True, True)
    answered = client.respond("hitl_fab_assigned_user", run_id, "for_erin", ["Reject"])
    assert answered.status_code == 200, answered.text
    recorded = admin.get_request("hitl_fab_assigned_user", run_id, "for_erin").json()
    assert (recorded["responded_by_user"]["id"], recorded["override"]) == (fab_user_id(user), True)


@pytest.mark.parametrize("user", ["nominal", "op", "editor"])
def test_users_without_it_are_not_hitl_admins_even_with_a_role_called_admin(
    stack: AirflowStack, user: str
) -> None:
    # nominal: a role "HITL admins in name only"; op: FAB's Op (reads the configuration); editor: User.
    admin, run_id, _ = waiting(stack, "hitl_fab_assigned_user", "for_erin")
    client = stack.client(user)
    refused = client.http.post("/api/v2/hitl/groups", json={"name": f"not-{user}-{uuid.uuid4().hex[:6]}"})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Only HITL admins may manage responder groups")
    detail = client.get_request("hitl_fab_assigned_user", run_id, "for_erin").json()
    assert (detail["can_respond"], detail["respond_as_override"]) == (False, False)
    assert client.respond("hitl_fab_assigned_user", run_id, "for_erin", ["Reject"]).status_code == 403
    assert (
        stack.client("erin").respond("hitl_fab_assigned_user", run_id, "for_erin", ["Approve"]).status_code
        == 200
    )


def test_airflowctl_logs_in_through_fab_and_the_companion_cli_lists_and_answers(
    stack: AirflowStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    admin, run_id, _ = waiting(stack, "hitl_fab_assigned_user", "for_erin")
    erin = CliUser(stack, tmp_path_factory.mktemp("cli-fab-erin")).login("erin")
    listed = erin.json("list", "--dag-id", "hitl_fab_assigned_user")
    assert run_id in {r["task_instance"]["dag_run_id"] for r in listed["hitl_details"]}
    answer = erin.json("approve", "hitl_fab_assigned_user", run_id, "for_erin")
    assert answer["responded_by"] == {"id": fab_user_id("erin"), "name": "erin"}
    recorded = admin.get_request("hitl_fab_assigned_user", run_id, "for_erin").json()
    assert recorded["response_channel"] == "cli"


def fab_sign_in(page: Page, stack: AirflowStack, user: str) -> None:
    """The page went to FAB's login form (``/auth/login/``): sign in there."""
    page.wait_for_url(f"{stack.base_url}/auth/login/**")
    page.get_by_role("button", name="Sign In").wait_for()
    submit_login(page, user, stack.passwords[user])


def test_signing_in_through_fabs_form_from_required_actions_comes_back_there_and_answers(
    stack: AirflowStack, browser: Browser
) -> None:
    admin, run_id, request = waiting(stack, TEAM_B_DAG)
    with browser(viewport=VIEWPORT) as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(f"{stack.base_url}/required_actions")
        fab_sign_in(page, stack, "editor")
        page.get_by_role("heading", level=1, name="Required Actions").wait_for()
        assert page.url.startswith(f"{stack.base_url}/required_actions")
        # Inside Airflow's page: its rail, with the nav entry.
        page.get_by_role("link", name="Dags").first.wait_for()
        page.get_by_role("link", name="Required Actions").first.wait_for()
        page.get_by_role("link", name=request["subject"]).first.click()
        page.get_by_role("heading", level=1, name=request["subject"]).wait_for()
        page.get_by_role("button", name="Approve", exact=True).click()
        page.get_by_role("status").filter(has_text="Your answer was recorded.").wait_for()

    recorded = admin.get_request(TEAM_B_DAG, run_id, "ask").json()
    assert recorded["responded_by_user"] == {"id": fab_user_id("editor"), "name": "editor"}
    assert (recorded["response_channel"], recorded["chosen_options"]) == ("ui", ["Approve"])
    assert admin.wait_for_state(TEAM_B_DAG, run_id, "went_on", FINISHED)["state"] == "success"


def test_a_prepared_link_answers_after_fabs_login_for_the_fab_user_it_was_made_for(
    stack: AirflowStack,
    browser: Browser,
    mailbox: Mailbox,  # noqa: F811
) -> None:
    admin = stack.client("admin")
    marker = uuid.uuid4().hex[:10]
    run_id = admin.trigger("hitl_fab_links", conf={"marker": marker})
    mail = mailbox.wait_for(marker, to="erin@example.com")
    assert f"For {fab_user_id('erin')}" in mail.html
    admin.wait_for_request("hitl_fab_links", run_id, "for_erin")

    with browser(viewport=VIEWPORT) as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(mail.links["Approve"])
        fab_sign_in(page, stack, "erin")
        page.wait_for_selector("body[data-state=answered], body[data-state=refused]")
        assert page.locator("#title").inner_text() == "Approve: answer recorded"

    recorded = admin.get_request("hitl_fab_links", run_id, "for_erin").json()
    assert recorded["responded_by_user"] == {"id": fab_user_id("erin"), "name": "erin"}
    assert (recorded["response_channel"], recorded["chosen_options"]) == ("link", ["Approve"])
