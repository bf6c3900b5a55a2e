"""What a request may look like and which answers it accepts: one source of truth.

Pure functions, no database: the operators use them at parse and execute time, the REST API when
an answer arrives, and ``execute_complete`` against the request snapshot in the resume event.

A request's ``params`` are stored in the shape Airflow gives a dumped ``Param``:
``{name: {"value": default_or_None, "schema": {...json schema...}, "description": str | None}}``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

from airflow.hitl.json_limits import JSONProblem, json_problem

SENSITIVE_FORMATS = frozenset({"password"})
MASK = "***"
PRINCIPAL_MAX_LENGTH = 250  # user ids and responder group names, as the database stores them
URL_DELIMITERS = "/?#"
_REFUSED = r"/?#\x00-\x1f\x7f-\x9f"  # in a regular expression's class: delimiters, control characters
# :func:`principal_problem` as the regular expressions the OpenAPI document publishes (length
# aside), for clients that check before they send. A unit test keeps the two in step.
PRINCIPAL_PATTERNS = {
    "user": rf"^(?!\.\.?$)[^{_REFUSED}]+$",
    # "\ufeff" (a byte order mark): blank to JavaScript's "\s", not to Python's; refused at the ends.
    "group": rf"^(?!\.\.?$)[^\s\ufeff{_REFUSED}](?:[^{_REFUSED}]*[^\s\ufeff{_REFUSED}])?$",
}


def principal_problem(kind: str, value: str) -> str | None:
    """
    Why ``value`` cannot be a user id or responder group name (``kind``: "user" or "group"), or None.

    The same rule holds for groups created through the API and for assignments in DAGs, so a DAG
    can only name a group that could exist.
    """
    what = f"a {kind} {'name' if kind == 'group' else 'id'}"
    if not value or len(value) > PRINCIPAL_MAX_LENGTH:
        return f"{what} must be 1 to {PRINCIPAL_MAX_LENGTH} characters"
    # Group names and user ids are path segments of the group routes (/groups/{name}/members/{id}).
    if value in (".", "..") or any(c in value for c in URL_DELIMITERS):
        return f"{what} must not be '.' or '..' or contain '/', '?' or '#' (a URL path segment names it)"
    # A line break in a path segment fails the routing of the API server's mounted apps, and no
    # person types control characters into a name.
    if any(unicodedata.category(c) == "Cc" for c in value):
        return f"{what} must not contain control characters (line breaks, tabs, ...)"
    if kind == "group" and (value != value.strip() or value[0] == "\ufeff" or value[-1] == "\ufeff"):
        return "a group name must not start or end with blanks"
    return None


def principal_rule(kind: str) -> Callable[[str], str]:
    """:func:`principal_problem` as a validator: returns the value, raises ``ValueError`` why not."""

    def check(value: str) -> str:
        problem = principal_problem(kind, value)
        if problem:
            raise ValueError(problem)
        return value

    return check


class AssignedUser(TypedDict):
    """A user a request is assigned to: the auth manager's user id, and a name to show."""

    id: str
    name: str


class RequestSnapshot(TypedDict):
    """What an answer is validated against; travels with every resume event."""

    options: list[str]
    multiple: bool
    params: dict[str, dict[str, Any]]


class RequestSpec(RequestSnapshot):
    """
    A request as the operator builds it (templates rendered) and the server stores it: carried by
    ``HITLTrigger``'s kwargs through Airflow's trigger table, and in the XCom ``hitl_request``.
    """

    subject: str
    body: str | None
    defaults: list[str] | None
    assigned_users: list[AssignedUser]
    assigned_groups: list[str]
    # ``airflow.hitl.policy.RequestPolicy``: comments needed, who is kept out. Absent in requests
    # made before policies existed (read with ``policy_of``).
    policy: NotRequired[dict[str, Any]]


def snapshot_of(request: Mapping[str, Any]) -> RequestSnapshot:
    """The part of a request (a :class:`RequestSpec`, or a stored row's columns) that answers are
    validated against; the one place that names its keys."""
    return {
        "options": list(request["options"]),
        "multiple": bool(request.get("multiple")),
        "params": dict(request.get("params") or {}),
    }


class HITLDefinitionError(ValueError):
    """A human-in-the-loop request is defined wrongly (by the DAG author)."""


@dataclass
class AnswerErrors:
    """Why an answer is refused: option problems (HTTP 400) and per-field form problems (422)."""

    options: list[str] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.options or self.params)

    def describe(self) -> str:
        parts = list(self.options)
        parts += [f"{name}: {message}" for name, message in self.params.items()]
        return "; ".join(parts)


def normalize_defaults(defaults: str | Sequence[str] | None) -> list[str] | None:
    """``defaults`` may be given as one option or a list of them."""
    if defaults is None:
        return None
    if isinstance(defaults, str):
        return [defaults]
    return list(defaults)


def check_definition(
    *,
    options: Sequence[str],
    defaults: Sequence[str] | None,
    multiple: bool,
    params: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """Return what is wrong with a request definition (empty when it is fine)."""
    problems: list[str] = []
    if isinstance(options, str) or not isinstance(options, Sequence):
        return [f"options must be a list of strings, got {options!r}"]
    if not options:
        problems.append("options must not be empty")
    for option in options:
        if not isinstance(option, str) or not option.strip():
            problems.append(f"option {option!r} must be a non-empty string")
    labels = [o for o in options if isinstance(o, str)]
    duplicates = sorted({o for o in labels if labels.count(o) > 1})
    if duplicates:
        problems.append(f"options must be unique; repeated: {duplicates}")
    if defaults is not None:
        if not defaults:
            problems.append("defaults must not be empty (leave them out for no defaults)")
        for default in defaults:
            if default not in options:
                problems.append(f"default {default!r} is not one of {list(options)}")
        if len(defaults) > 1 and not multiple:
            problems.append(f"{len(defaults)} defaults given but multiple=False allows only one")
    for name, spec in params.items():
        problems += [f"param {name!r}: {p}" for p in _check_param(spec)]
    return problems


def _check_param(spec: Mapping[str, Any]) -> list[str]:
    schema = spec.get("schema") or {}
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as err:
        return [f"invalid schema: {err.message}"]
    value = spec.get("value")
    if value is not None:
        message = _first_error(schema, value)
        if message:
            return [f"default {value!r} does not match its schema: {message}"]
    return []


def _first_error(schema: Mapping[str, Any], value: Any) -> str | None:
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(value), key=lambda e: e.path)
    return errors[0].message if errors else None


def _allows_null(schema: Mapping[str, Any]) -> bool:
    return _first_error(schema, None) is None


def validate_answer(
    snapshot: Mapping[str, Any],
    chosen_options: Sequence[str] | None,
    params_input: Mapping[str, Any] | None,
) -> tuple[AnswerErrors, dict[str, Any]]:
    """
    Check an answer against a request snapshot (``options``, ``multiple``, ``params``).

    Returns the errors and the resolved form values (input merged over the params' defaults).
    """
    errors = AnswerErrors()
    options: list[str] = list(snapshot["options"])
    chosen = list(chosen_options or [])
    if not chosen:
        errors.options.append(f"choose at least one option of {options}")
    for option in chosen:
        if option not in options:
            errors.options.append(f"option {option!r} is not one of {options}")
    if len(set(chosen)) != len(chosen):
        errors.options.append("an option may be chosen only once")
    if len(chosen) > 1 and not snapshot.get("multiple"):
        errors.options.append(f"only one option may be chosen, got {len(chosen)}: {chosen}")

    params: Mapping[str, Mapping[str, Any]] = snapshot.get("params") or {}
    given = dict(params_input or {})
    resolved: dict[str, Any] = {}
    for name in given:
        if name not in params:
            known = sorted(params) or "none"
            errors.params[name] = f"unknown field (fields of this request: {known})"
    for name in params.keys() & given.keys():
        # Before the schema: NaN passes every minimum and maximum, deep values break jsonschema.
        problem = json_problem(given[name])
        if problem:
            errors.params[name] = _value_problem_message(name, problem)
    hidden = sensitive_fields(params)
    for name, spec in params.items():
        if name in errors.params:
            continue
        schema = spec.get("schema") or {}
        value = given.get(name)
        if value is None:  # not given, or given as null: the field's default applies
            value = spec.get("value")
        if name in hidden and value == MASK and spec.get("value") == MASK:
            # The hidden default of a sensitive field: only the task knows it, and puts it in place
            # of the mask when it resumes (see restore_hidden_defaults).
            resolved[name] = MASK
            continue
        if value is None and not _allows_null(schema):
            errors.params[name] = "a value is required"
            continue
        message = _first_error(schema, value)
        if message:
            errors.params[name] = message
            continue
        resolved[name] = value
    return errors, resolved


def _value_problem_message(name: str, problem: JSONProblem) -> str:
    """A form value's :class:`JSONProblem`, saying where inside the value it is (when inside)."""
    if problem.kind == "depth" or not problem.path:
        return problem.message
    return f"{problem.message} (at {name}{''.join(f'[{step!r}]' for step in problem.path)})"


def default_answer(snapshot: Mapping[str, Any], defaults: Sequence[str] | None) -> dict[str, Any]:
    """The answer applied at the deadline: the default options and the params' default values."""
    params: Mapping[str, Mapping[str, Any]] = snapshot.get("params") or {}
    return {
        "chosen_options": list(defaults or []),
        "params_input": {name: spec.get("value") for name, spec in params.items()},
    }


def sensitive_fields(params: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Form fields whose values are masked wherever they are shown to others or logged."""
    return {
        name
        for name, spec in params.items()
        if (spec.get("schema") or {}).get("format") in SENSITIVE_FORMATS or spec.get("sensitive")
    }


def mask_params(
    params: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """``values`` with sensitive fields replaced by ``***``."""
    if values is None:
        return None
    hidden = sensitive_fields(params)
    return {name: (MASK if name in hidden and value is not None else value) for name, value in values.items()}


def mask_param_defaults(params: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``params`` (the form fields) with the default ``value`` of sensitive fields replaced by ``***``."""
    hidden = sensitive_fields(params)
    return {
        name: {**spec, "value": MASK} if name in hidden and spec.get("value") is not None else dict(spec)
        for name, spec in params.items()
    }


def restore_hidden_defaults(
    sent: Mapping[str, Mapping[str, Any]], own: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any]
) -> dict[str, Any]:
    """
    ``values`` with the real default in place of every ``***`` that stands for a hidden default.

    The task sends its request with the defaults of sensitive fields masked (``sent``, from
    :func:`mask_param_defaults`), so they never leave the worker; an answer that keeps such a
    default (the field left out, or ``***``) comes back as ``***``, and the resumed task, which
    holds the fields as defined (``own``), puts the default back.
    """
    hidden = sensitive_fields(own)
    return {
        name: own[name]["value"]
        if name in hidden
        and value == MASK
        and (sent.get(name) or {}).get("value") == MASK
        and own[name].get("value") is not None
        else value
        for name, value in values.items()
    }


def sensitive_values(params: Mapping[str, Mapping[str, Any]], values: Mapping[str, Any] | None) -> list[Any]:
    """The values of sensitive fields in ``values`` (none for ``None``): what logs must hide."""
    hidden = sensitive_fields(params)
    return [value for name, value in (values or {}).items() if name in hidden and value is not None]
