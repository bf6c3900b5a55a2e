"""Every operator on real Airflow components: branch, form entry, termination, templated
options, mapped requests, clearing and `airflow dags test`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import on_one_stack, wait_for

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

# What the operators do with an answer does not depend on the deployment layout, which the
# approval-flow, assignment and concurrency tests cover on every stack.
pytestmark = [pytest.mark.system, on_one_stack()]

FINISHED = {"success", "skipped", "failed", "upstream_failed"}


def test_branch_follows_the_chosen_task_group_and_skips_the_rest(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id = "example_hitl_content_moderation"
    run_id = api.trigger(dag_id)
    request = api.wait_for_request(dag_id, run_id, "moderate")
    assert request["options"] == ["Publish", "Legal review", "Remove"]
    assert request["subject"] == "Is this post acceptable? (spam score 0.57)"
    assert api.respond(dag_id, run_id, "moderate", ["Legal review"]).status_code == 200

    assert api.wait_for_state(dag_id, run_id, "legal_review.notify_legal", FINISHED)["state"] == "success"
    assert api.task_instance(dag_id, run_id, "publish")["state"] == "skipped"
    assert api.task_instance(dag_id, run_id, "remove")["state"] == "skipped"
    assert api.xcom(dag_id, run_id, "moderate") == ["legal_review"]
    assert api.xcom(dag_id, run_id, "moderate", key="hitl_response")["chosen_options"] == ["Legal review"]


def test_branch_with_multiple_choices_follows_all_of_them(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id = "hitl_branch_multiple"
    run_id = api.trigger(dag_id)
    api.wait_for_request(dag_id, run_id, "pick")
    assert api.respond(dag_id, run_id, "pick", ["quick", "Deep review"]).status_code == 200
    assert api.wait_for_state(dag_id, run_id, "join", FINISHED)["state"] == "success"
    assert api.task_instance(dag_id, run_id, "quick")["state"] == "success"
    assert api.task_instance(dag_id, run_id, "deep.analyse")["state"] == "success"
    assert api.xcom(dag_id, run_id, "pick") == ["quick", "deep"]


def test_form_input_is_validated_and_reaches_downstream(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id = "example_hitl_llm_guidance"
    run_id = api.trigger(dag_id)
    request = api.wait_for_request(dag_id, run_id, "guidance")
    assert request["options"] == ["OK"] and request["defaults"] == ["OK"]
    assert request["params"]["max_words"]["schema"]["maximum"] == 300
    assert request["params"]["tone"]["schema"]["values_display"]["formal"] == "Formal"

    invalid = api.respond(dag_id, run_id, "guidance", ["OK"], {"instructions": "Hi", "max_words": 5})
    assert invalid.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in invalid.json()["detail"]}
    assert set(errors) == {("body", "params_input", "instructions"), ("body", "params_input", "max_words")}
    assert "less than the minimum of 20" in errors[("body", "params_input", "max_words")]
    assert api.get_request(dag_id, run_id, "guidance").json()["status"] == "pending"

    valid = api.respond(
        dag_id, run_id, "guidance", ["OK"], {"instructions": "Shorter, please", "max_words": 5 * 5}
    )
    assert valid.status_code == 200, valid.text
    assert valid.json()["params_input"] == {
        "instructions": "Shorter, please",
        "max_words": 25,
        "tone": "neutral",
    }
    assert api.wait_for_state(dag_id, run_id, "rewrite", FINISHED)["state"] == "success"
    assert api.xcom(dag_id, run_id, "rewrite").startswith("[neutral; Shorter, please] Revenue grew")


@pytest.mark.parametrize(("choice", "load_state"), [("Stop", "skipped"), ("Proceed", "success")])
def test_termination_stops_or_proceeds(stack: AirflowStack, choice: str, load_state: str) -> None:
    api = stack.client("admin")
    dag_id = "example_hitl_termination"
    run_id = api.trigger(dag_id)
    request = api.wait_for_request(dag_id, run_id, "stop_or_proceed")
    assert request["subject"] == "42 rows have nulls. Load anyway?"
    assert api.respond(dag_id, run_id, "stop_or_proceed", [choice]).status_code == 200
    assert api.wait_for_state(dag_id, run_id, "report", FINISHED)["state"] == load_state
    assert api.task_instance(dag_id, run_id, "load")["state"] == load_state
    assert api.task_instance(dag_id, run_id, "stop_or_proceed")["state"] == "success"


def test_options_computed_upstream_are_offered(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id = "hitl_templated_options"
    run_id = api.trigger(dag_id)
    request = api.wait_for_request(dag_id, run_id, "choose_colour")
    assert request["options"] == ["red", "green", "blue"]
    refused = api.respond(dag_id, run_id, "choose_colour", ["purple"])
    assert refused.json()["detail"] == "option 'purple' is not one of ['red', 'green', 'blue']"
    assert api.respond(dag_id, run_id, "choose_colour", ["green"]).status_code == 200
    assert api.wait_for_state(dag_id, run_id, "choose_colour", FINISHED)["state"] == "success"
    assert api.xcom(dag_id, run_id, "choose_colour")["chosen_options"] == ["green"]


def test_each_map_index_gets_its_own_request_answered_independently(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id, task_id = "hitl_mapped", "review_item"
    run_id = api.trigger(dag_id)
    answers = {0: "keep", 1: "drop", 2: "keep"}
    for map_index in answers:
        request = api.wait_for_request(dag_id, run_id, task_id, map_index=map_index)
        assert request["subject"] == f"Keep item {map_index}?"
    assert api.list_requests(dag_id, run_id, status="pending")["total_entries"] == 3
    for map_index, choice in answers.items():
        response = api.respond(dag_id, run_id, task_id, [choice], map_index=map_index)
        assert response.status_code == 200, response.text
    assert api.wait_for_state(dag_id, run_id, "collect_answers", FINISHED)["state"] == "success"
    assert api.xcom(dag_id, run_id, "collect_answers") == ["keep", "drop", "keep"]


def test_clearing_asks_again_and_keeps_the_earlier_answer(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id, task_id = "hitl_templated_options", "choose_colour"
    run_id = api.trigger(dag_id)
    api.wait_for_request(dag_id, run_id, task_id)
    assert api.respond(dag_id, run_id, task_id, ["red"]).status_code == 200
    api.wait_for_state(dag_id, run_id, task_id, FINISHED)
    # Airflow 3.0.6 never schedules a task that was cleared while its finished process was still
    # reporting to the executor (seen: cleared 0.3 s after success, the report read 5 s later, no
    # new try in 120 s). The worker reports within [workers] min_heartbeat_interval (5 s here).
    time.sleep(7)

    cleared = api.http.post(
        f"/api/v2/dags/{dag_id}/clearTaskInstances",
        json={"dry_run": False, "dag_run_id": run_id, "task_ids": [task_id], "only_failed": False},
    )
    assert cleared.status_code == 200, cleared.text

    def new_request() -> dict | None:
        detail = api.get_request(dag_id, run_id, task_id).json()
        return (
            detail if detail["task_instance"]["try_number"] == 2 and detail["status"] == "pending" else None
        )

    wait_for(new_request, 120, "the request of the cleared task's new try")
    tries = api.list_requests(dag_id, run_id, order_by="created_at")["hitl_details"]
    assert [(d["task_instance"]["try_number"], d["status"], d["chosen_options"]) for d in tries] == [
        (1, "responded", ["red"]),
        (2, "pending", None),
    ]
    assert api.respond(dag_id, run_id, task_id, ["blue"]).status_code == 200
    assert api.wait_for_state(dag_id, run_id, task_id, FINISHED)["state"] == "success"
    assert api.xcom(dag_id, run_id, task_id)["chosen_options"] == ["blue"]


def test_marking_a_waiting_task_success_cancels_its_request(stack: AirflowStack) -> None:
    api = stack.client("admin")
    dag_id, task_id = "hitl_templated_options", "choose_colour"
    run_id = api.trigger(dag_id)
    api.wait_for_request(dag_id, run_id, task_id)
    marked = api.http.patch(
        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", json={"new_state": "success"}
    )
    assert marked.status_code == 200, marked.text
    late = api.respond(dag_id, run_id, task_id, ["red"])
    assert late.status_code == 409
    assert "cancelled: the task stopped waiting (task state: success)" in late.json()["detail"]
    detail = api.get_request(dag_id, run_id, task_id).json()
    assert detail["status"] == "cancelled"
    assert detail["closed_ti_state"] == "success"


def test_dags_test_applies_the_defaults_or_fails_fast(stack: AirflowStack) -> None:
    stack.client("admin").wait_for_dag("hitl_dags_test_without_defaults")
    with_defaults = stack.run_airflow("dags", "test", "hitl_dags_test_with_defaults", check=False)
    output = with_defaults.stdout + with_defaults.stderr
    assert with_defaults.returncode == 0, output
    assert "nobody can answer 'Approve under dags test?' here; applying the defaults ['Approve']" in output

    without = stack.run_airflow("dags", "test", "hitl_dags_test_without_defaults", check=False)
    output = without.stdout + without.stderr
    assert "cannot be answered under `airflow dags test`" in output
    assert "Give it defaults, or run the DAG on a running Airflow" in output


def test_a_sensitive_field_is_masked_for_everyone_but_the_responder(stack: AirflowStack) -> None:
    admin, viewer = stack.client("admin"), stack.client("viewer")
    dag_id, task_id = "hitl_sensitive_form", "credentials"
    run_id = admin.trigger(dag_id)
    admin.wait_for_request(dag_id, run_id, task_id)
    secret = "s3cr3t-key-123"
    assert admin.respond(dag_id, run_id, task_id, ["OK"], {"api_key": secret}).status_code == 200
    assert admin.get_request(dag_id, run_id, task_id).json()["params_input"]["api_key"] == secret
    assert viewer.get_request(dag_id, run_id, task_id).json()["params_input"] == {
        "api_key": "***",
        "vendor": "acme",
    }
    listed = viewer.list_requests(dag_id, run_id)["hitl_details"][0]
    assert listed["params_input"]["api_key"] == "***"
    logs = admin.http.get("/api/v2/eventLogs", params={"event": "hitl.respond", "dag_id": dag_id}).json()
    [audited] = [e["extra"] for e in logs["event_logs"] if e["run_id"] == run_id]
    assert "'api_key': '***'" in audited and "'vendor': 'acme'" in audited and secret not in audited
    assert admin.wait_for_state(dag_id, run_id, "key_length", FINISHED)["state"] == "success"
    assert admin.xcom(dag_id, run_id, "key_length") == len("***"), "downstream tasks get the mask"
