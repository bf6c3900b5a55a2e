"""Specification: no body reaches a server error, and the size limit holds before the body is read.

Against a real API server (``[hitl] max_answer_bytes`` at its default, 1,000,000 bytes): bodies
over the limit get a 413 whether or not they carry a token and whether or not they say their
length; NaN, infinities and deep nesting get a 422 naming the field; malformed bodies get a 4xx
with a message. After every refusal the request is still pending, and a valid answer still works.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.system.airflow_stack import on_one_stack

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.system.airflow_stack import AirflowStack, ApiClient

pytestmark = [pytest.mark.system, on_one_stack()]

DAG_ID, TASK_ID = "hitl_input_limits", "decide"
LIMIT = 1_000_000
BIG = 200 * 1024 * 1024


@pytest.fixture(scope="module")
def api(stack: AirflowStack) -> ApiClient:
    return stack.client("admin")


@pytest.fixture(scope="module")
def run_id(api: ApiClient) -> str:
    """The run of a real pending request that every refused answer is sent to."""
    run_id = api.trigger(DAG_ID)
    api.wait_for_request(DAG_ID, run_id, TASK_ID)
    return run_id


def answer_path(api: ApiClient, run_id: str) -> str:
    return api.task_path(DAG_ID, run_id, TASK_ID)


def assert_still_pending(api: ApiClient, run_id: str) -> None:
    detail = api.get_request(DAG_ID, run_id, TASK_ID).json()
    assert (detail["status"], detail["responded_at"], detail["params_input"]) == ("pending", None, None)


def stream(total: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    """``total`` bytes of an answer body that never ends validly, sent ``chunk`` bytes at a time."""
    yield b'{"chosen_options": ["Approve"], "params_input": {"notes": "'
    sent = 0
    while sent < total:
        piece = min(chunk, total - sent)
        sent += piece
        yield b"x" * piece


def send(
    api: ApiClient, run_id: str, body: bytes, content_type: str | None = "application/json"
) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return api.http.patch(answer_path(api, run_id), content=body, headers=headers)


def answer_with(**params_input: str) -> bytes:
    """An answer body whose form values are JSON text written as given (``NaN`` stays ``NaN``)."""
    members = ", ".join(f'"{name}": {value}' for name, value in params_input.items())
    return ('{"chosen_options": ["Approve"], "params_input": {' + members + "}}").encode()


def nested(depth: int) -> str:
    return '{"a": ' * depth + '"deep"' + "}" * depth


def test_a_200_mb_body_without_a_token_gets_413_not_401(
    stack: AirflowStack, api: ApiClient, run_id: str
) -> None:
    started = time.perf_counter()
    response = httpx.patch(
        f"{stack.base_url}{answer_path(api, run_id)}",
        content=stream(BIG),
        headers={"Content-Type": "application/json", "Content-Length": str(BIG + 59)},
        timeout=120,
    )
    print(
        f"\n200 MB with Content-Length, no token: {response.status_code} in {time.perf_counter() - started:.2f} s"
    )
    assert response.status_code == 413, response.text
    detail = response.json()["detail"]
    assert str(LIMIT) in detail and "max_answer_bytes" in detail
    assert_still_pending(api, run_id)


def test_a_streamed_body_without_length_is_refused_once_it_passes_the_limit(
    api: ApiClient, run_id: str
) -> None:
    started = time.perf_counter()
    # A generator body is sent chunked: the server learns its size only by counting.
    response = api.http.patch(
        answer_path(api, run_id),
        content=stream(BIG),
        headers={"Content-Type": "application/json"},
        timeout=120,
    )
    print(f"\n200 MB chunked, with a token: {response.status_code} in {time.perf_counter() - started:.2f} s")
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 413, response.text
    assert str(LIMIT) in response.json()["detail"]
    assert_still_pending(api, run_id)


def test_a_body_just_under_the_limit_is_read_and_answered_on_its_merits(api: ApiClient, run_id: str) -> None:
    body = answer_with(notes='"x"').replace(b'"Approve"', b'"Aprove"')  # refused, so nothing is recorded
    at_limit = body[:-1] + b" " * (LIMIT - len(body)) + b"}"  # JSON allows the blanks
    assert len(at_limit) == LIMIT
    response = send(api, run_id, at_limit)
    assert response.status_code == 400, response.text  # not 413: validated like any answer
    assert "'Aprove' is not one of" in response.json()["detail"]
    assert send(api, run_id, at_limit + b" ").status_code == 413
    assert_still_pending(api, run_id)


@pytest.mark.parametrize("depth", [33, 300, 900, 100_000])
def test_deeply_nested_form_values_get_422_naming_the_field(api: ApiClient, run_id: str, depth: int) -> None:
    response = send(api, run_id, answer_with(notes=nested(depth)))
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "params_input", "notes"]
    assert "at most 32 levels" in error["msg"]
    assert_still_pending(api, run_id)


def test_a_form_value_as_deep_as_allowed_is_validated_by_its_schema(api: ApiClient, run_id: str) -> None:
    # The body, params_input and 30 levels of notes: 32. An unknown option keeps it unanswered.
    body = answer_with(notes=nested(30)).replace(b'"Approve"', b'"Aprove"')
    assert send(api, run_id, body).status_code == 400
    assert_still_pending(api, run_id)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_numbers_that_are_not_finite_get_422_and_nothing_is_recorded(
    api: ApiClient, run_id: str, number: str
) -> None:
    response = send(api, run_id, answer_with(amount=number))
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "params_input", "amount"]
    assert "is not a JSON number" in error["msg"]
    assert_still_pending(api, run_id)


MALFORMED: dict[str, tuple[bytes, str | None]] = {
    "not JSON": (b"chosen_options=Approve", "application/json"),
    "truncated JSON": (b'{"chosen_options": ["Approve"', "application/json"),
    "no content type": (b"Approve", None),
    "wrong content type": (answer_with(amount="5"), "text/plain"),
    "form content type": (b"chosen_options=Approve", "application/x-www-form-urlencoded"),
    "invalid UTF-8": (b'{"chosen_options": ["Appro\xffve"]}', "application/json"),
    "invalid UTF-8, form content type": (b"3\xff\xfe", "application/x-www-form-urlencoded"),
    "lone surrogate": (answer_with(notes='"\\ud800"'), "application/json"),
    "huge string": (answer_with(amount='"' + "9" * 900_000 + '"'), "application/json"),
    "huge integer": (answer_with(amount="9" * 5000), "application/json"),
    "a JSON array": (b"[]", "application/json"),
    "empty body": (b"", "application/json"),
    "NUL in a value": (answer_with(notes='"a\\u0000b"'), "application/json"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_bodies_get_a_4xx_with_a_message(api: ApiClient, run_id: str, case: str) -> None:
    body, content_type = MALFORMED[case]
    response = send(api, run_id, body, content_type)
    print(f"\n{case}: {response.status_code} {response.text[:200]}")
    assert 400 <= response.status_code < 500, response.text
    detail = response.json()["detail"]
    assert detail and (isinstance(detail, str) or all(error["msg"] for error in detail))
    assert_still_pending(api, run_id)


def test_group_bodies_have_the_same_limits(stack: AirflowStack, api: ApiClient) -> None:
    groups = "/api/v2/hitl/groups"
    headers = {"Content-Type": "application/json"}
    oversized = httpx.post(
        f"{stack.base_url}{groups}", content=b" " * (LIMIT + 1), headers=headers, timeout=30
    )
    assert oversized.status_code == 413  # no token: refused before authentication
    deep = api.http.post(
        groups, content=b'{"name": "deep", "description": ' + nested(40).encode() + b"}", headers=headers
    )
    assert deep.status_code == 422 and deep.json()["detail"][0]["loc"][:2] == ["body", "description"]
    nan = api.http.patch(f"{groups}/nobody", content=b'{"description": NaN}', headers=headers)
    assert nan.status_code == 422 and nan.json()["detail"][0]["loc"] == ["body", "description"]
    assert api.http.get(f"{groups}/deep").status_code == 404


def test_a_valid_answer_after_the_refusals_is_recorded(api: ApiClient, run_id: str) -> None:
    assert_still_pending(api, run_id)
    response = api.respond(
        DAG_ID, run_id, TASK_ID, ["Approve"], {"amount": 42.5, "notes": {"why": ["checked"]}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["params_input"] == {"amount": 42.5, "notes": {"why": ["checked"]}}
    assert api.wait_for_state(DAG_ID, run_id, TASK_ID, {"success"})["state"] == "success"
    assert api.xcom(DAG_ID, run_id, TASK_ID)["params_input"] == {
        "amount": 42.5,
        "notes": {"why": ["checked"]},
    }
