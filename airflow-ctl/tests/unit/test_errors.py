from __future__ import annotations

import pytest

from airflowctl.hitl.errors import ExitCode, describe_detail, server_error


def test_validation_errors_become_one_line_with_each_field_and_the_servers_message() -> None:
    detail = [
        {
            "loc": ["body", "params_input", "count"],
            "msg": "11 is greater than the maximum of 10",
            "type": "x",
        },
        {"loc": ["body", "params_input", "api_key"], "msg": "'abc' is too short", "type": "x"},
    ]
    assert (
        describe_detail(detail) == "count: 11 is greater than the maximum of 10; api_key: 'abc' is too short"
    )


def test_a_multi_line_detail_is_folded_into_one_line() -> None:
    assert (
        describe_detail("option 'X' is not one of ['A']\n  and more")
        == "option 'X' is not one of ['A'] and more"
    )


@pytest.mark.parametrize(
    ("status", "code", "label"),
    [
        (400, ExitCode.INVALID_OPTION, "invalid option"),
        (403, ExitCode.FORBIDDEN, "not allowed"),
        (404, ExitCode.NOT_FOUND, "not found"),
        (409, ExitCode.CONFLICT, "conflict"),
        (422, ExitCode.INVALID_VALUES, "invalid values"),
        (500, ExitCode.ERROR, "HTTP 500"),
    ],
)
def test_each_refusal_has_its_own_exit_code_and_label(status: int, code: ExitCode, label: str) -> None:
    error = server_error(status, "why", "respond")
    assert error.exit_code == code
    assert error.message == f"respond: {label}: why"


@pytest.mark.parametrize(("status", "detail"), [(401, "Token Expired"), (403, "Invalid JWT token")])
def test_a_refused_login_says_how_to_log_in_again(status: int, detail: str) -> None:
    error = server_error(status, detail, "list")
    assert error.exit_code == ExitCode.NOT_LOGGED_IN
    assert "airflowctl auth login" in error.message and detail in error.message


def test_exit_codes_are_distinct() -> None:
    assert len({code.value for code in ExitCode}) == len(ExitCode)
