from __future__ import annotations

import pytest

from airflowctl.hitl.forms import (
    describe_constraints,
    describe_default,
    describe_type,
    is_sensitive,
    params_from_assignments,
    parse_value,
    pick_options,
    split_assignment,
)

PARAMS = {
    "count": {"value": 3, "schema": {"type": "integer", "minimum": 1, "maximum": 10}, "description": None},
    "ratio": {"value": None, "schema": {"type": "number"}, "description": None},
    "speed": {
        "value": "standard",
        "schema": {
            "type": "string",
            "enum": ["standard", "express"],
            "values_display": {"express": "Express"},
        },
        "description": None,
    },
    "api_key": {"value": None, "schema": {"type": "string", "format": "password", "minLength": 8}},
    "labels": {"value": ["a"], "schema": {"type": "array", "items": {"type": "integer"}}},
    "note": {"value": None, "schema": {"type": ["null", "string"]}},
    "flag": {"value": False, "schema": {"type": "boolean"}},
    "extra": {"value": None, "schema": {"type": "object"}},
    "anything": {"value": None, "schema": {}},
}


def schema(name: str) -> dict:
    return PARAMS[name]["schema"]


@pytest.mark.parametrize(
    ("field", "typed", "value"),
    [
        ("count", " 7 ", 7),
        ("ratio", "5", 5),
        ("ratio", "0.5", 0.5),
        ("speed", "express", "express"),
        ("labels", "1, 2,3", [1, 2, 3]),
        ("labels", "[4, 5]", [4, 5]),
        ("labels", "", []),
        ("note", "null", None),
        ("note", "hello", "hello"),
        ("flag", "yes", True),
        ("flag", "off", False),
        ("extra", '{"a": 1}', {"a": 1}),
        ("anything", "[1]", [1]),
        ("anything", "plain words", "plain words"),
    ],
)
def test_typed_text_becomes_a_value_of_the_fields_type(field: str, typed: str, value: object) -> None:
    assert parse_value(schema(field), typed) == value


@pytest.mark.parametrize(("field", "typed"), [("count", "seven"), ("flag", "maybe"), ("extra", "[1]")])
def test_text_that_fits_no_type_of_the_field_is_refused(field: str, typed: str) -> None:
    with pytest.raises(ValueError, match="is not a valid"):
        parse_value(schema(field), typed)


def test_assignments_are_typed_by_schema_and_unknown_or_unfit_values_go_to_the_server_as_text() -> None:
    values = params_from_assignments(PARAMS, ["count=4", "labels=1,2", "flag=no", "count2=x", "ratio=abc"])
    assert values == {"count": 4, "labels": [1, 2], "flag": False, "count2": "x", "ratio": "abc"}


def test_an_assignment_keeps_equals_signs_in_its_value_and_needs_a_key() -> None:
    assert split_assignment("query=a=b") == ("query", "a=b")
    with pytest.raises(ValueError, match="key=value"):
        split_assignment("=5")
    with pytest.raises(ValueError, match="key=value"):
        split_assignment("count")


def test_fields_are_described_with_type_constraints_and_display_names() -> None:
    assert describe_type(schema("labels")) == "array of integer"
    assert describe_type(schema("api_key")) == "string (password)"
    assert describe_type(schema("note")) == "null | string"
    assert describe_type(schema("anything")) == "any"
    assert describe_constraints(schema("count")) == [">= 1", "<= 10"]
    assert describe_constraints(schema("speed")) == ["one of: standard, express (Express)"]
    assert describe_constraints(schema("api_key")) == ["at least 8 characters"]


def test_defaults_are_shown_as_typed_and_sensitive_ones_are_masked() -> None:
    assert describe_default(PARAMS["count"]) == "3"
    assert describe_default(PARAMS["labels"]) == '["a"]'
    assert describe_default(PARAMS["speed"]) == "standard"
    assert describe_default(PARAMS["note"]) == ""
    secret = {"value": "hunter22", "schema": {"type": "string", "format": "password"}}
    assert is_sensitive(secret)
    assert describe_default(secret) == "***"
    assert is_sensitive({"value": None, "schema": {}, "sensitive": True})
    assert not is_sensitive(PARAMS["count"])


def test_options_are_picked_by_name_or_number() -> None:
    options = ["Approve", "Reject"]
    assert pick_options(options, "2", multiple=False) == ["Reject"]
    assert pick_options(options, " Approve ", multiple=False) == ["Approve"]
    assert pick_options(["a", "b", "c"], "3, a, 3", multiple=True) == ["c", "a"]


@pytest.mark.parametrize("answer", ["", "3", "Maybe", "0"])
def test_an_answer_that_names_no_option_is_refused(answer: str) -> None:
    with pytest.raises(ValueError, match="option|number"):
        pick_options(["Approve", "Reject"], answer, multiple=False)


def test_a_comma_is_part_of_the_name_when_only_one_option_may_be_chosen() -> None:
    assert pick_options(["a, b", "c"], "a, b", multiple=False) == ["a, b"]
