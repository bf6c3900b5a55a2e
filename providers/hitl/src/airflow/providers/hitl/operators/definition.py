"""How the operators turn what a DAG author writes into the request's stored shape.

Parse-time helpers: they run when the DAG file is parsed and raise ``HITLDefinitionError`` with a
message naming the argument that is wrong.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.hitl.request import AssignedUser, HITLDefinitionError, principal_problem
from airflow.sdk import Param
from airflow.sdk.definitions.param import ParamsDict
from airflow.utils.types import NOTSET

UserSpec = Mapping[str, str]


def params_to_specs(params: Mapping[str, Any] | ParamsDict | None) -> dict[str, dict[str, Any]]:
    """Form fields as stored and shown: ``{name: {"value", "schema", "description"}}``."""
    if not params:
        return {}
    specs: dict[str, dict[str, Any]] = {}
    for name in params:
        param = params.get_param(name) if isinstance(params, ParamsDict) else params[name]
        if not isinstance(param, Param):
            param = Param(param)
        value = None if param.value is NOTSET else param.value
        specs[name] = {"value": value, "schema": dict(param.schema), "description": param.description}
    return specs


def normalize_users(users: UserSpec | Sequence[UserSpec] | None) -> list[AssignedUser]:
    """``assigned_users`` as a list of ``{"id", "name"}`` (a lone dict is one user)."""
    if users is None:
        return []
    items = [users] if isinstance(users, Mapping) else list(users)
    normalized: list[AssignedUser] = []
    for user in items:
        if not isinstance(user, Mapping) or not user.get("id"):
            raise HITLDefinitionError(
                f"assigned_users entries need an 'id' ({{'id': ..., 'name': ...}}), got {user!r}"
            )
        user_id = str(user["id"])
        if problem := principal_problem("user", user_id):
            raise HITLDefinitionError(f"assigned_users: {problem}, got {user_id!r}")
        normalized.append(AssignedUser(id=user_id, name=str(user.get("name") or user_id)))
    return normalized


def normalize_groups(groups: str | Sequence[str] | None) -> list[str]:
    """``assigned_groups`` as a list of names (a lone string is one group)."""
    names = [groups] if isinstance(groups, str) else [str(g) for g in groups or []]
    for name in names:
        if problem := principal_problem("group", name):
            raise HITLDefinitionError(f"assigned_groups: {problem}, got {name!r}")
    return list(dict.fromkeys(names))


def is_templated(value: Any) -> bool:
    """Whether ``value`` (a string or a list of them) holds a Jinja template, checked only once rendered."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list | tuple):
        return any(is_templated(v) for v in value)
    return False


def parse_rendered_options(options: Any) -> Any:
    """Rendered ``options``: a template may render a JSON or Python list as a string."""
    if isinstance(options, str):
        for parse in (json.loads, ast.literal_eval):
            try:
                options = parse(options)
                break
            except (ValueError, SyntaxError):
                continue
    if isinstance(options, tuple):
        options = list(options)
    return options
