"""Property-based tests of the REST API, generated from its published OpenAPI document.

Stateful scenarios chain calls along the document's links (a created group is read, changed, given
and relieved of members, deleted). Then every operation gets 100 generated requests (valid and
invalid path, query and body values), and the answer operation 100 raw bodies no schema
describes (not JSON, not UTF-8, NaN, deep nesting, strings around the size limit). All run
against a real API server, and every answer must be free of server errors and have a documented
status code, content type and response schema. The operations on one task's request are pointed
at a real waiting request, so generated answers meet the real validation: afterwards that request
must still be pending, with nothing recorded.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, unquote, unquote_plus

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.system.airflow_stack import on_one_stack

if TYPE_CHECKING:
    from schemathesis.generation.stateful.state_machine import APIStateMachine, StepInput, StepOutput
    from schemathesis.schemas import BaseSchema

    from tests.system.airflow_stack import AirflowStack

pytestmark = [pytest.mark.system, on_one_stack()]

DAG_ID, TASK_ID = "hitl_api_properties", "decide"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
GROUP, MEMBER = "/api/v2/hitl/groups/{name}", "/api/v2/hitl/groups/{name}/members/{user_id}"


@pytest.fixture(scope="module")
def hitl_api(stack: AirflowStack) -> BaseSchema:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/api/v2/hitl/openapi.json")
    schema.config.update(base_url=stack.base_url)
    return schema


@pytest.fixture(scope="module")
def admin_headers(stack: AirflowStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.token('admin')}"}


@pytest.fixture(scope="module")
def chained_calls(stack: AirflowStack, admin_headers: dict[str, str]) -> type[APIStateMachine]:
    """Scenarios that follow the document's links: create a group, then read, change, add and
    remove members of, and delete that very group."""
    base_url = stack.base_url
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v2/hitl/openapi.json")
    # Valid data only: the scenarios are about chains of calls that work; invalid input to every
    # operation is the next test's business. (Schemathesis' invalid bodies also differ from one
    # run to the next with the same seed, so the scenarios would not be the same on every run.)
    schema.config.update(base_url=base_url)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])

    class ChainedCalls(schema.as_state_machine()):  # type: ignore[misc]
        answers: ClassVar[Counter[tuple[str, str, int]]] = Counter()  # (method, path, status)

        # Each scenario removes the groups it created, so that every scenario starts from the same
        # server state (Hypothesis requires that of a replay) and scenarios do not pile up groups.
        def setup(self) -> None:
            self.created: set[str] = set()

        def step(self, input: StepInput) -> StepOutput:
            # Schemathesis keeps path parameters URL-encoded with `quote_plus`, which turns a space
            # into "+" (a plus sign, in a path), and a value a link takes from a request's path
            # ("$request.path.user_id") arrives encoded and is encoded again. Values carried by
            # links are put back as the API gave them, encoded for a path.
            if input.transition is not None:
                for name, extracted in input.transition.parameters.get("path_parameters", {}).items():
                    value = extracted.value.ok() if isinstance(extracted.value, Ok) else None
                    if not isinstance(value, str):  # unresolved: Schemathesis generated one
                        continue
                    if str(extracted.definition).startswith("$request.path."):
                        value = unquote_plus(value)
                    input.case.path_parameters[name] = quote(value, safe="")
            return super().step(input)

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            self.answers[case.method.upper(), case.operation.path, response.status_code] += 1
            if case.method.upper() == "POST" and response.status_code == 201:
                self.created.add(response.json()["name"])
            if (
                case.method.upper() == "DELETE"
                and case.operation.path == GROUP
                and response.status_code == 204
            ):
                self.created.discard(unquote(case.path_parameters["name"]))

        def teardown(self) -> None:
            for name in self.created:
                deleted = httpx.delete(
                    f"{base_url}/api/v2/hitl/groups/{quote(name, safe='')}", headers=admin_headers, timeout=30
                )
                # Anything else leaves state behind, or a group that no URL can name.
                assert deleted.status_code == 204, (name, deleted.status_code, deleted.text)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            case.headers = {}  # as below: the HTTP server refuses malformed headers itself
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
            max_examples=100,
            stateful_step_count=6,
            deadline=None,
            phases=[Phase.generate],  # no replays against a server whose state moved on
            database=None,
            derandomize=True,  # the same scenarios on every run: a live server gates CI here
            suppress_health_check=list(HealthCheck),
        )
    )
    answers = chained_calls.answers
    print("\nStateful scenarios, answers by operation:")
    for (method, path, status), count in sorted(answers.items()):
        print(f"  {method:6} {path:48} {status}  x{count}")
    # The scenarios reached real groups through the links, not only random names (404s).
    succeeded = {(method, path) for method, path, status in answers if status < 300}
    reached = {("GET", GROUP), ("PATCH", GROUP), ("PUT", MEMBER), ("DELETE", MEMBER), ("DELETE", GROUP)}
    assert reached <= succeeded, sorted(answers.items())


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


# Raw answer bodies that no schema describes: not JSON, not UTF-8, JSON with NaN or infinities,
# nested far too deep, strings around the size limit, each under a JSON or another content type.
ANSWER_OPENING = '{"chosen_options": ["Approve"], "params_input": {"reason": '
raw_answers = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", '"\\ud800"', "9" * 5000]).map(
        lambda value: f'{ANSWER_OPENING}"checked", "amount": {value}}}}}'.encode()
    ),
    st.tuples(st.integers(1, 20_000), st.sampled_from("[{")).map(
        lambda nest: (ANSWER_OPENING + ('{"a": ' if nest[1] == "{" else "[") * nest[0]).encode()
        + (b"}" if nest[1] == "{" else b"]") * nest[0]
        + b"}}"
    ),
    # A string where the form takes an integer: refused for its size or its type, never recorded.
    st.integers(990_000, 1_010_000).map(
        lambda size: f'{ANSWER_OPENING}"checked", "amount": "{"x" * size}"}}}}'.encode()
    ),
)
content_types = st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", None])


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(body=raw_answers, content_type=content_types)
def test_raw_answer_bodies_get_no_server_error_and_stay_within_the_document(
    hitl_api: BaseSchema,
    admin_headers: dict[str, str],
    waiting_request: dict[str, Any],
    body: bytes,
    content_type: str | None,
) -> None:
    operation = hitl_api[
        "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"
    ]
    case = operation["PATCH"].Case(path_parameters=waiting_request, body=body, media_type="application/json")
    headers = {**admin_headers, **({"Content-Type": content_type} if content_type else {})}
    response = case.call(headers=headers)
    if content_type is None:  # the transport names the media type; the request goes without it
        assert response.request.headers.get("Content-Type") in (None, "application/json")
    case.validate_response(response, checks=CHECKS)
    assert response.status_code != 200, body[:200]  # none of these is a valid answer


def test_generated_answers_recorded_nothing(stack: AirflowStack, waiting_request: dict[str, Any]) -> None:
    api = stack.client("admin")
    run_id = waiting_request["dag_run_id"]
    detail = api.get_request(DAG_ID, run_id, TASK_ID).json()
    assert (detail["status"], detail["responded_at"], detail["chosen_options"]) == ("pending", None, None)
    logs = api.http.get("/api/v2/eventLogs", params={"dag_id": DAG_ID, "event": "hitl.respond"}).json()
    assert [e for e in logs["event_logs"] if e["run_id"] == run_id] == []
    assert api.respond(DAG_ID, run_id, TASK_ID, ["Approve"], {"reason": "checked"}).status_code == 200
