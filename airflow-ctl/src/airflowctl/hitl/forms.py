"""Form fields and options of a request, as a terminal shows and reads them.

Pure functions over the request JSON the API returns. They turn typed text into JSON values of the
field's type and describe fields for people; they do not decide what is valid: the server checks
every answer against the request's schema and its messages are shown as they are.

A request's ``params`` look like ``{name: {"value": default, "schema": {...}, "description": ...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# The server masks fields of these formats (``airflow.hitl.request.SENSITIVE_FORMATS``); a terminal
# hides what is typed into them.
SENSITIVE_FORMATS = frozenset({"password"})

TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})

CONSTRAINT_LABELS = {
    "minimum": ">= {}",
    "maximum": "<= {}",
    "exclusiveMinimum": "> {}",
    "exclusiveMaximum": "< {}",
    "minLength": "at least {} characters",
    "maxLength": "at most {} characters",
    "pattern": "matches {}",
    "minItems": "at least {} items",
    "maxItems": "at most {} items",
    "multipleOf": "a multiple of {}",
}


def schema_of(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    return spec.get("schema") or {}


def types_of(schema: Mapping[str, Any]) -> list[str]:
    """The JSON types a field accepts (``type`` may be a string or a list), ``[]`` when open."""
    declared = schema.get("type")
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else [str(t) for t in declared]


def is_sensitive(spec: Mapping[str, Any]) -> bool:
    """Whether a field's value should be hidden while it is typed and when shown."""
    return schema_of(spec).get("format") in SENSITIVE_FORMATS or bool(spec.get("sensitive"))


def describe_type(schema: Mapping[str, Any]) -> str:
    """A short type label: ``integer``, ``string (password)``, ``array of string``, ``any``."""
    labels = []
    for name in types_of(schema) or ["any"]:
        if name == "array" and isinstance(schema.get("items"), Mapping):
            item_types = types_of(schema["items"])
            name = f"array of {'|'.join(item_types)}" if item_types else name
        labels.append(name)
    label = " | ".join(labels)
    if schema.get("format"):
        label += f" ({schema['format']})"
    return label


def allowed_values(schema: Mapping[str, Any]) -> list[Any] | None:
    """The values a field may take (``enum``, or the items' ``enum`` of an array), if limited."""
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    items = schema.get("items")
    if isinstance(items, Mapping) and isinstance(items.get("enum"), list):
        return list(items["enum"])
    return None


def describe_constraints(schema: Mapping[str, Any]) -> list[str]:
    """The schema's limits in words, e.g. ``['>= 1', '<= 10']``, ``['one of: low, high']``."""
    described = [label.format(schema[key]) for key, label in CONSTRAINT_LABELS.items() if key in schema]
    values = allowed_values(schema)
    if values is not None:
        display = schema.get("values_display") or {}
        shown = [f"{v} ({display[v]})" if isinstance(v, str) and v in display else str(v) for v in values]
        described.append("one of: " + ", ".join(shown))
    return described


def describe_default(spec: Mapping[str, Any]) -> str:
    """The default as typed on a command line, ``***`` for sensitive fields, ``''`` when none."""
    value = spec.get("value")
    if value is None:
        return ""
    if is_sensitive(spec):
        return "***"
    return value if isinstance(value, str) else json.dumps(value)


def _parse_as(kind: str, text: str, schema: Mapping[str, Any]) -> Any:
    if kind == "string":
        return text
    if kind == "integer":
        return int(text.strip())
    if kind == "number":
        number = float(text.strip())
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "boolean":
        word = text.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"expected yes or no, got {text!r}")
    if kind == "null":
        if text.strip().lower() in ("", "null", "none"):
            return None
        raise ValueError(f"expected null, got {text!r}")
    if kind == "array":
        stripped = text.strip()
        if stripped.startswith("["):
            value = json.loads(stripped)
            if not isinstance(value, list):
                raise ValueError("expected a JSON array")
            return value
        items = schema["items"] if isinstance(schema.get("items"), Mapping) else {}
        parts = [part.strip() for part in stripped.split(",")] if stripped else []
        return [parse_value(items, part) for part in parts]
    if kind == "object":
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("expected a JSON object")
        return value
    raise ValueError(f"unknown type {kind!r}")


def parse_value(schema: Mapping[str, Any], text: str) -> Any:
    """
    The JSON value ``text`` stands for, given the field's schema: ``"5"`` is ``5`` for an integer
    field, ``"a,b"`` is ``["a", "b"]`` for an array field. Raises ``ValueError`` when ``text`` fits
    none of the field's types. A field without a type takes JSON if ``text`` is JSON, else the text.
    """
    kinds = types_of(schema)
    if not kinds:
        try:
            return json.loads(text)
        except ValueError:
            return text
    # Text fits "string" always: try the other types first so "5" becomes 5 for ["integer", "string"].
    ordered = sorted(kinds, key=lambda kind: kind == "string")
    for kind in ordered:
        try:
            return _parse_as(kind, text, schema)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a valid {' or '.join(kinds)}")


def split_assignment(text: str) -> tuple[str, str]:
    """``"key=value"`` -> ``("key", "value")`` (the value may contain ``=``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"expected key=value, got {text!r}")
    return key.strip(), value


def params_from_assignments(
    params: Mapping[str, Mapping[str, Any]], assignments: Sequence[str]
) -> dict[str, Any]:
    """
    Form values from ``key=value`` arguments, typed by each field's schema. A value that fits no
    type of its field, or a key the request does not have, is passed on as text: the server then
    says what is wrong with it, in the same words as for any other client.
    """
    values: dict[str, Any] = {}
    for assignment in assignments:
        key, text = split_assignment(assignment)
        spec = params.get(key)
        if spec is None:
            values[key] = text
            continue
        try:
            values[key] = parse_value(schema_of(spec), text)
        except ValueError:
            values[key] = text
    return values


def pick_options(options: Sequence[str], answer: str, multiple: bool) -> list[str]:
    """
    The options a person typed: names or 1-based numbers, comma-separated when ``multiple``.
    Raises ``ValueError`` with a message to show before asking again.
    """
    parts = [part.strip() for part in answer.split(",")] if multiple else [answer.strip()]
    parts = [part for part in parts if part]
    if not parts:
        raise ValueError("choose at least one option")
    chosen: list[str] = []
    for part in parts:
        if part in options:
            option = part
        elif part.isdigit() and 1 <= int(part) <= len(options):
            option = options[int(part) - 1]
        else:
            raise ValueError(f"{part!r} is neither an option nor a number from 1 to {len(options)}")
        if option not in chosen:
            chosen.append(option)
    return chosen
