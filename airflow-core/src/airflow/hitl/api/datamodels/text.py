"""Text rules shared by the request bodies.

PostgreSQL cannot store a NUL character (``\\x00``) in a text value; without this rule a NUL in a
group name or a form value would reach the database and fail there (a 500) instead of being
refused as bad input (a 422 naming the field).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

NUL = "\x00"
NUL_MESSAGE = "must not contain NUL characters (\\x00)"


def has_nul(value: Any) -> bool:
    """Whether ``value`` (a string, or any JSON value holding strings as keys or items) has a NUL."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(item) for item in value)
    return False


def _refuse_nul(value: Any) -> Any:
    if has_nul(value):
        raise ValueError(NUL_MESSAGE)
    return value


Text = Annotated[str, AfterValidator(_refuse_nul)]
"""A string that can be stored in every supported database."""

NoNulJSON = AfterValidator(_refuse_nul)
"""The same rule for a JSON value: no string in it may contain a NUL."""
