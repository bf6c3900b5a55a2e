"""Property-based tests of the REST API, generated from its published OpenAPI document.

Every operation gets 100 generated requests (valid and invalid path, query and body values) against
a real API server. None may answer with a server error, and every answer must have a documented
status code, content type and response schema. The operations on one task's request are pointed at
a real waiting request, so generated answers meet the real validation: afterwards that request
must still be pending, with nothing recorded. Stateful scenarios then chain calls along the
document's links (a created group is read, changed, given and relieved of members, deleted), under
the same checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import httpx
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
    from schemathesis.generation.stateful.state_machine import APIStateMachine
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


@pytest.fixture(scope="module")
def chained_calls(
    stack: AirflowStack, hitl_api: BaseSchema, admin_headers: dict[str, str]
) -> type[APIStateMachine]:
    """Scenarios that follow the document's links: create a group, then read, change, add and
    remove members of, and delete that very group."""
    base_url = stack.base_url

    class ChainedCalls(hitl_api.as_state_machine()):  # type: ignore[misc]
        # Each scenario removes the groups it created, so that replaying a scenario meets the same
        # server state (Hypothesis requires that) and scenarios do not pile up groups.
        def setup(self) -> None:
            self.created: set[str] = set()

        succeeded: ClassVar[set[tuple[str, str]]] = set()  # (method, path) answered with 2xx

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            if response.status_code < 300:
                self.succeeded.add((case.method.upper(), case.operation.path))
            if case.method.upper() == "POST" and response.status_code == 201:
                self.created.add(response.json()["name"])

        def teardown(self) -> None:
            for name in self.created:
                deleted = httpx.delete(
                    f"{base_url}/api/v2/hitl/groups/{quote(name, safe='')}", headers=admin_headers, timeout=30
                )
                # 404: the scenario deleted it itself. Anything else leaves state behind.
                assert deleted.status_code in (204, 404), (name, deleted.status_code, deleted.text)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            case.headers = {}  # as above: the HTTP server refuses malformed headers itself
            return {"headers": admin_headers}

        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    return ChainedCalls


def test_chained_calls_along_the_documents_links_stay_within_it(
    stack: AirflowStack, chained_calls: type[APIStateMachine]
) -> None:
    links = {
        name
        for path in stack.client().http.get("/api/v2/hitl/openapi.json").json()["paths"].values()
        for operation in path.values()
        for answer in operation["responses"].values()
        for name in answer.get("links", {})
    }
    assert {"GetGroup", "ChangeGroup", "AddMember", "RemoveMember", "DeleteGroup"} <= links
    chained_calls.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            phases=[Phase.generate],  # no replays against a server whose state moved on
            database=None,
            derandomize=True,  # the same scenarios on every run: a live server gates CI here
            suppress_health_check=list(HealthCheck),
        )
    )
    # The scenarios reached real groups through the links, not only random names (404s).
    group, member = "/api/v2/hitl/groups/{name}", "/api/v2/hitl/groups/{name}/members/{user_id}"
    reached = {("GET", group), ("PATCH", group), ("PUT", member), ("DELETE", member), ("DELETE", group)}
    assert reached <= chained_calls.succeeded, sorted(chained_calls.succeeded)


def test_generated_answers_recorded_nothing(stack: AirflowStack, waiting_request: dict[str, Any]) -> None:
    api = stack.client("admin")
    run_id = waiting_request["dag_run_id"]
    detail = api.get_request(DAG_ID, run_id, TASK_ID).json()
    assert (detail["status"], detail["responded_at"], detail["chosen_options"]) == ("pending", None, None)
    logs = api.http.get("/api/v2/eventLogs", params={"dag_id": DAG_ID, "event": "hitl.respond"}).json()
    assert [e for e in logs["event_logs"] if e["run_id"] == run_id] == []
    assert api.respond(DAG_ID, run_id, TASK_ID, ["Approve"], {"reason": "checked"}).status_code == 200
