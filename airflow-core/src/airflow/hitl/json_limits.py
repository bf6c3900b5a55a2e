"""Which JSON values the feature accepts: finite numbers, valid text, bounded nesting.

Pure functions, shared by every channel an answer can come through: the REST API parses bodies
with :func:`parse_json`, :func:`airflow.hitl.request.validate_answer` checks each form value with
:func:`json_problem` whatever parsed it.

Python's ``json`` reads ``NaN``, ``Infinity`` and ``-Infinity`` (and ``1e999`` as infinity),
which JSON itself does not have: a schema's ``minimum``/``maximum`` never refuses NaN (every
comparison with it is false), and the database stores it as ``null``. Deep nesting makes
recursive code (``json``, Pydantic, ``jsonschema``, the database driver) fail with a
``RecursionError`` from a few hundred levels on. Both are refused here, without recursion.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

MAX_JSON_DEPTH = 32
"""How deeply arrays and objects may nest in an answer: in a request body (the body itself is the
first level), and in each form value. Forms have flat values or shallow records; 32 leaves room
for any of them and stays far below where recursive code fails (about 300 levels)."""

Location = tuple[str | int, ...]
UNICODE_MESSAGE = "text must be valid Unicode (no lone surrogates such as \\ud800)"


@dataclass(frozen=True)
class JSONProblem:
    """Why a JSON value is refused (``kind``: "number", "text", "depth" or "syntax"), and where: the
    keys and indexes from the value's root down to the offending part (``()`` for the root)."""

    kind: str
    path: Location
    message: str


class JSONRefused(ValueError):
    """Raised by :func:`parse_json` with the :class:`JSONProblem` found."""

    def __init__(self, problem: JSONProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def json_problem(value: Any, max_depth: int = MAX_JSON_DEPTH) -> JSONProblem | None:
    """
    The first problem of a parsed JSON ``value``, or None when it is fine.

    Refused: numbers that are not finite (NaN, infinities), strings and keys that are not valid
    Unicode (a lone surrogate such as ``"\\ud800"`` cannot be stored or sent as UTF-8), and arrays
    and objects nested more than ``max_depth`` levels (a scalar has depth 0, ``[]`` and ``{}`` 1,
    ``[[1]]`` 2). For nesting, ``path`` leads to the first array or object past the limit.

    Safe for a value of any depth (no ``RecursionError``). A value without problems is checked by
    ``json``'s C encoder and regular expressions (1 MB of small arrays: 60 ms on a busy 2-core
    machine, half of what parsing that MB costs); only a refused one is walked in Python to find
    where its problem is.
    """
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False)
        text.encode("utf-8")
    except (ValueError, TypeError, RecursionError):  # non-finite, a lone surrogate, too deep, not JSON
        return _locate_problem(value, max_depth)
    return _locate_problem(value, max_depth) if _nests_deeper(text, max_depth) else None


def _locate_problem(value: Any, max_depth: int) -> JSONProblem | None:
    """:func:`json_problem`, by walking ``value`` (iteratively)."""
    stack: list[tuple[Any, Location]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            written = "NaN" if math.isnan(item) else ("Infinity" if item > 0 else "-Infinity")
            return JSONProblem("number", path, f"{written} is not a JSON number: send a finite number")
        if isinstance(item, str) and not _is_unicode(item):
            return JSONProblem("text", path, UNICODE_MESSAGE)
        if isinstance(item, dict | list | tuple):
            if len(path) >= max_depth:
                return JSONProblem("depth", path, depth_message(max_depth))
            if isinstance(item, dict):
                for key, member in reversed(item.items()):
                    if isinstance(key, str) and not _is_unicode(key):
                        return JSONProblem("text", (*path, key), UNICODE_MESSAGE)
                    stack.append((member, (*path, key)))
            else:
                stack.extend((member, (*path, index)) for index, member in reversed(list(enumerate(item))))
    return None


def parse_json(data: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """
    ``data`` (a request body) as a JSON value, or :class:`JSONRefused` saying why not: not UTF-8,
    not JSON, or a value :func:`json_problem` refuses (its problem then says where).

    Nesting is measured on the text before it is parsed, so a document of any depth is refused
    with the path to where it passes the limit, never with a ``RecursionError``.
    """
    text = decode_text(data)
    if _nests_deeper(text, max_depth):
        too_deep = _first_too_deep(text, max_depth)
        path = _path_to(text, *too_deep) if too_deep is not None else None
        if path is not None:
            raise JSONRefused(JSONProblem("depth", path, depth_message(max_depth)))
    try:
        # Without a path the text is not JSON before it nests too deep: the parser stops there.
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise JSONRefused(JSONProblem("syntax", (), f"not JSON: {err}")) from None
    except RecursionError:  # not reached by the reasoning above; a depth problem all the same
        raise JSONRefused(JSONProblem("depth", (), depth_message(max_depth))) from None
    except ValueError as err:  # e.g. an integer of more digits than Python converts
        raise JSONRefused(JSONProblem("syntax", (), f"not acceptable JSON: {err}")) from None
    problem = json_problem(value, max_depth)
    if problem:
        raise JSONRefused(problem)
    return value


def decode_text(data: bytes) -> str:
    """``data`` as UTF-8 text, or :class:`JSONRefused` (kind "syntax") saying where it is not."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JSONRefused(JSONProblem("syntax", (), f"not valid UTF-8 (byte {err.start})")) from None


# A JSON string (escapes included); brackets inside strings do not nest.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_CLOSING = {"[": "]", "{": "}"}


def _nests_deeper(text: str, max_depth: int) -> bool:
    """Whether arrays and objects nest deeper than ``max_depth`` in the JSON ``text`` (True also
    for unbalanced brackets, which are not JSON). Regular expressions only: the brackets outside
    strings, with the innermost pairs removed once per level."""
    if text.count("[") + text.count("{") <= max_depth:  # too few brackets: most answers stop here
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(max_depth):
        if not brackets:
            return False
        brackets = _INNERMOST.sub("", brackets)
    return bool(brackets)


def _first_too_deep(text: str, max_depth: int) -> tuple[int, list[str]] | None:
    """Where the first array or object past ``max_depth`` opens in ``text``, and the brackets open
    there (outermost first); None if nothing nests that deep."""
    opened: list[str] = []
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in _CLOSING:
            if len(opened) == max_depth:
                return match.start(), opened
            opened.append(token)
        elif token in ("]", "}") and opened:
            opened.pop()
    return None


def _path_to(text: str, position: int, opened: list[str]) -> Location | None:
    """The path to the value that opens at ``position`` inside the brackets ``opened``: the
    document up to there, closed, is parsed; the value is then the last one at every level.
    None when the text is not JSON up to there."""
    closed = text[:position] + "null" + "".join(_CLOSING[bracket] for bracket in reversed(opened))
    try:
        value = json.loads(closed, object_pairs_hook=_Members)  # members in order, repeated keys too
    except ValueError:
        return None
    path: list[str | int] = []
    for _ in opened:
        if isinstance(value, _Members) and value:
            key, value = value[-1]
            path.append(key)
        elif isinstance(value, list) and value:
            path.append(len(value) - 1)
            value = value[-1]
        else:
            break
    return tuple(path)


class _Members(list):
    """A JSON object's members as ``(key, value)`` pairs, in the order written."""


def depth_message(max_depth: int) -> str:
    return f"arrays and objects may nest at most {max_depth} levels deep"


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
