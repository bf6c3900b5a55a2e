"""Sensitive form values (``format="password"``) on real Airflow components: no reader but the
responder sees them, through the HITL API, Airflow's XCom API or the task log; the DAG's
``on_response`` gets them as given."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest

from tests.system.airflow_stack import on_one_stack

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack, ApiClient

# Masking happens in the operator and the API's datamodels, whatever the deployment layout.
pytestmark = [pytest.mark.system, on_one_stack()]

FINISHED = {"success", "skipped", "failed", "upstream_failed"}
MASK = "***"
DEFAULT_KEY = "default-key-4242"  # the api_key default of tests/system/dags/hitl_sensitive_dags.py
TASK = "credentials"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def task_log(api: ApiClient, dag_id: str, run_id: str, task_id: str) -> str:
    """The task's log as Airflow's API serves it (the trigger's lines included)."""
    response = api.http.get(
        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1",
        params={"full_content": "true"},
        headers={"Accept": "application/json"},
    )
    response.raise_for_status()
    return response.text


def every_xcom_of(api: ApiClient, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
    base = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries"
    keys = [entry["key"] for entry in api.http.get(base).json()["xcom_entries"]]
    return {key: api.xcom(dag_id, run_id, task_id, key) for key in keys}


def test_a_password_answer_reaches_on_response_and_every_reader_gets_the_mask(stack: AirflowStack) -> None:
    admin, viewer = stack.client("admin"), stack.client("viewer")
    dag_id = "hitl_sensitive_answer"
    run_id = admin.trigger(dag_id)
    asked = viewer.wait_for_request(dag_id, run_id, TASK)
    assert asked["params"]["api_key"]["value"] == MASK, "a viewer read the default of a password field"
    assert admin.get_request(dag_id, run_id, TASK).json()["params"]["api_key"]["value"] == MASK
    [listed] = viewer.list_requests(dag_id, run_id)["hitl_details"]
    assert listed["params"]["api_key"]["value"] == MASK
    assert listed["params"]["vendor"]["value"] == "acme"
    # Airflow's task instance API shows a deferred task's trigger kwargs to the DAG's readers: the
    # default never left the worker, so it is not in them.
    kwargs = str((viewer.task_instance(dag_id, run_id, TASK).get("trigger") or {}).get("kwargs"))
    assert "api_key" in kwargs and DEFAULT_KEY not in kwargs, kwargs

    secret = "s3cr3t-key-123"
    answer = admin.respond(dag_id, run_id, TASK, ["OK"], {"api_key": secret})
    assert answer.status_code == 200, answer.text
    assert answer.json()["params_input"]["api_key"] == secret, "the responder reads back their own answer"
    assert admin.wait_for_state(dag_id, run_id, "key_seen_downstream", FINISHED)["state"] == "success"

    xcoms = every_xcom_of(viewer, dag_id, run_id, TASK)
    assert secret not in str(xcoms) and DEFAULT_KEY not in str(xcoms), xcoms
    assert xcoms["return_value"]["params_input"] == {"api_key": MASK, "vendor": "acme"}
    assert xcoms["hitl_request"]["request"]["params"]["api_key"]["value"] == MASK
    assert xcoms["api_key_digest"] == digest(secret), "on_response did not get the value as given"
    assert viewer.xcom(dag_id, run_id, "key_seen_downstream") == MASK

    log = task_log(viewer, dag_id, run_id, TASK)
    assert "Using the API key ***" in log, "the log line of on_response is missing"
    assert secret not in log

    assert admin.get_request(dag_id, run_id, TASK).json()["params_input"]["api_key"] == secret
    assert viewer.get_request(dag_id, run_id, TASK).json()["params_input"]["api_key"] == MASK


def test_a_hidden_default_left_out_of_the_answer_applies_with_its_real_value(stack: AirflowStack) -> None:
    admin, viewer = stack.client("admin"), stack.client("viewer")
    dag_id = "hitl_sensitive_answer"
    run_id = admin.trigger(dag_id)
    admin.wait_for_request(dag_id, run_id, TASK)
    # What the UI sends for a sensitive field whose masked default the responder left in place.
    assert admin.respond(dag_id, run_id, TASK, ["OK"], {"vendor": "globex"}).status_code == 200
    assert admin.wait_for_state(dag_id, run_id, "key_seen_downstream", FINISHED)["state"] == "success"
    assert admin.xcom(dag_id, run_id, TASK, key="api_key_digest") == digest(DEFAULT_KEY)
    assert viewer.xcom(dag_id, run_id, TASK)["params_input"] == {"api_key": MASK, "vendor": "globex"}


def test_a_default_applied_at_the_deadline_stays_out_of_xcom_and_the_task_log(stack: AirflowStack) -> None:
    admin, viewer = stack.client("admin"), stack.client("viewer")
    dag_id = "hitl_sensitive_timeout"
    run_id = admin.trigger(dag_id)
    assert admin.wait_for_state(dag_id, run_id, "key_seen_downstream", FINISHED)["state"] == "success"
    assert admin.xcom(dag_id, run_id, TASK, key="api_key_digest") == digest(DEFAULT_KEY)
    result = viewer.xcom(dag_id, run_id, TASK)
    assert result["timed_out"] is True and result["params_input"]["api_key"] == MASK
    log = task_log(viewer, dag_id, run_id, TASK)
    print(f"the trigger's 'Trigger fired event' line is in the task log: {'Trigger fired event' in log}")
    assert DEFAULT_KEY not in log
