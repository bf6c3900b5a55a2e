"""Property-based tests of the REST API, generated from its published OpenAPI document.

Every operation gets 100 generated requests (valid and invalid path, query and body values) against
a real API server. None may answer with a server error, and every answer must have a documented
status code, content type and response schema. The operations on one task's request are pointed at
a real waiting request, so generated answers meet the real validation: afterwards that request
must still be pending, with nothing recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.system.airflow_stack import on_one_stack

if TYPE_CHECKING:
    from schemathesis.schemas import BaseSchema

    from tests.system.airflow_stack import AirflowStack

pytestmark = [pytest.mark.system, on_one_stack()]

DAG_ID, TASK_ID = "hitl_api_properties", "decide"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def hitl_api(stack: AirflowStack) -> BaseSchema:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/api/v2/hitl/openapi.json")
    schema.config.update(base_url=stack.base_url)
    return schema


@pytest.fixture(scope="module")
def admin_headers(stack: AirflowStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token('admin')}"}


@pytest.fixture(scope="module")
def waiting_request(stack: AirflowStack) -> dict[str, Any]:
    """Path parameters of a real pending request."""
    api = stack.client("admin")
    run_id = api.trigger(DAG_ID)
    api.wait_for_request(DAG_ID, run_id, TASK_ID)
    return {"dag_id": DAG_ID, "dag_run_id": run_id, "task_id": TASK_ID, "map_index": -1}


api = schemathesis.pytest.from_fixture("hitl_api")


@api.parametrize()
@settings(
    max_examples=100,
    deadline=None,
    # Random generation only: Schemathesis' explicit examples include its "coverage" cases, every
    # combination of the list's sixteen query parameters (thousands of requests for one operation).
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error_or_off_its_document(
    case: schemathesis.Case, admin_headers: dict[str, str], waiting_request: dict[str, Any]
) -> None:
    if "{task_id}" in case.operation.path:
        case.path_parameters = {**(case.path_parameters or {}), **waiting_request}
    # Generated headers are left out: malformed ones are refused by the HTTP server itself (a
    # plain-text 400, "Invalid HTTP request received.") before the app sees them.
    case.headers = {}
    case.call_and_validate(headers=admin_headers, checks=CHECKS)


def test_generated_answers_recorded_nothing(stack: AirflowStack, waiting_request: dict[str, Any]) -> None:
    api = stack.client("admin")
    run_id = waiting_request["dag_run_id"]
    detail = api.get_request(DAG_ID, run_id, TASK_ID).json()
    assert (detail["status"], detail["responded_at"], detail["chosen_options"]) == ("pending", None, None)
    logs = api.http.get("/api/v2/eventLogs", params={"dag_id": DAG_ID, "event": "hitl.respond"}).json()
    assert [e for e in logs["event_logs"] if e["run_id"] == run_id] == []
    assert api.respond(DAG_ID, run_id, TASK_ID, ["Approve"], {"reason": "checked"}).status_code == 200
