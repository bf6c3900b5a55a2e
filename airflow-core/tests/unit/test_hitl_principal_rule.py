"""Specification of user ids and group names: the rule the API applies (with its messages) and the
pattern the OpenAPI document publishes for clients agree on every string."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from airflow.hitl.request import PRINCIPAL_MAX_LENGTH, PRINCIPAL_PATTERNS, principal_problem

# JSON Schema patterns are ECMA-262 regular expressions, evaluated here as JavaScript would: "$" is
# the end of the string (Python's also matches before a final line break), and "\s" is ECMA-262's
# WhiteSpace and LineTerminator set (Python's lacks U+FEFF).
ECMA_BLANKS = r"\t\n\v\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
ECMA_PATTERNS = {
    kind: re.compile(pattern.replace("$", r"\Z").replace(r"\s", ECMA_BLANKS))
    for kind, pattern in PRINCIPAL_PATTERNS.items()
}

# Mostly the characters the rule is about, some of any kind.
interesting = st.sampled_from(list("./?# \t\n\r\x00\x1f\x7f\x85\x9f\xa0\u1680\u180e\u2028\u3000\ufeffab"))
candidates = st.text(alphabet=interesting | st.characters(), max_size=8)


@pytest.mark.parametrize("kind", ["user", "group"])
@settings(max_examples=2000, deadline=None)
@given(value=candidates)
@example(value=".")
@example(value="..")
@example(value="...")
@example(value=" ops")
@example(value="ops\u3000")
@example(value="a b")
@example(value="0\n")
@example(value="\ufeffops")
@example(value="ops\ufeff")
def test_the_published_pattern_is_the_rule(kind: str, value: str) -> None:
    refused = principal_problem(kind, value) is not None
    matches = ECMA_PATTERNS[kind].search(value) is not None and len(value) <= PRINCIPAL_MAX_LENGTH
    assert refused is not matches, (kind, value, principal_problem(kind, value))


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("group", "eu\nops", "a group name must not contain control characters (line breaks, tabs, ...)"),
        ("user", "bob\t", "a user id must not contain control characters (line breaks, tabs, ...)"),
        ("user", "bob ", None),  # only group names are stripped of blanks
        ("group", "ops ", "a group name must not start or end with blanks"),
        ("group", "finance & control", None),
        ("group", "\ufeffops", "a group name must not start or end with blanks"),
        ("group", "fin\ufeffance", None),
    ],
)
def test_control_characters_and_blanks(kind: str, value: str, problem: str | None) -> None:
    assert principal_problem(kind, value) == problem
