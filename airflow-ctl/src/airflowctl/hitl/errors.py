"""Errors of ``airflowctl-hitl`` and the exit code each one ends the command with.

The exit codes are part of the command's interface (documented in ``docs/cli.md``): scripts can
tell a refused answer (409) from a wrong option (400) or missing rights (403) without parsing text.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Exit codes of ``airflowctl-hitl``."""

    OK = 0
    ERROR = 1  # anything not listed below, e.g. a server error (5xx)
    USAGE = 2  # wrong command line (argparse uses 2 as well)
    NOT_LOGGED_IN = 3  # no stored login, or the server refused the token (401)
    INVALID_OPTION = 4  # 400: an option that is not offered, or too many
    FORBIDDEN = 5  # 403
    NOT_FOUND = 6  # 404
    CONFLICT = 7  # 409: answered already, timed out, cancelled; a group that exists
    INVALID_VALUES = 8  # 422: form values (or a body) the server refused
    UNREACHABLE = 9  # the API server did not answer


EXIT_CODE_BY_STATUS = {
    400: ExitCode.INVALID_OPTION,
    401: ExitCode.NOT_LOGGED_IN,
    403: ExitCode.FORBIDDEN,
    404: ExitCode.NOT_FOUND,
    409: ExitCode.CONFLICT,
    422: ExitCode.INVALID_VALUES,
}


INVALID_TOKEN_DETAIL = "Invalid JWT token"


class CLIError(Exception):
    """A failure to report as one line on stderr, ending the command with ``exit_code``."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def describe_detail(detail: Any) -> str:
    """
    One line from a FastAPI ``detail``: a string as is, a list of validation errors as
    ``field: message`` items joined by ``; `` (the server's own messages, unchanged).
    """
    if isinstance(detail, list):
        return "; ".join(_describe_item(item) for item in detail)
    if isinstance(detail, dict):
        return _describe_item(detail)
    return " ".join(str(detail).split())


def _describe_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    # "body"/"query"/"path" and the payload field name say where, not what: keep the field itself.
    loc = [str(part) for part in item.get("loc", []) if part not in ("body", "query", "path", "params_input")]
    message = " ".join(str(item.get("msg", item)).split())
    return f"{'.'.join(loc)}: {message}" if loc else message


def server_error(status_code: int, detail: Any, action: str) -> CLIError:
    """The :class:`CLIError` for an API answer with ``status_code`` while doing ``action``."""
    exit_code = EXIT_CODE_BY_STATUS.get(status_code, ExitCode.ERROR)
    text = describe_detail(detail) if detail not in (None, "") else "no details given"
    # Airflow answers an expired token with 401 but a token it cannot decode with 403 and this text.
    if status_code == 401 or (status_code == 403 and text == INVALID_TOKEN_DETAIL):
        return CLIError(
            f"{action}: the API server refused the login ({text}); run `airflowctl auth login` again",
            ExitCode.NOT_LOGGED_IN,
        )
    labels = {
        400: "invalid option",
        403: "not allowed",
        404: "not found",
        409: "conflict",
        422: "invalid values",
    }
    label = labels.get(status_code, f"HTTP {status_code}")
    return CLIError(f"{action}: {label}: {text}", exit_code)
