"""Specification of ``airflow.hitl.json_limits``: which JSON values and bodies are refused, and where."""

from __future__ import annotations

import json

import pytest

from airflow.hitl.json_limits import MAX_JSON_DEPTH, JSONRefused, json_problem, parse_json


def nested(depth, leaf="x"):
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def refusal(body: bytes):
    with pytest.raises(JSONRefused) as refused:
        parse_json(body)
    return refused.value.problem


class TestJSONProblem:
    @pytest.mark.parametrize(
        "value", [None, 1, 1.5, "text", [], {}, {"a": [1, {"b": "c"}]}, nested(MAX_JSON_DEPTH - 1, [])]
    )
    def test_finite_valid_and_shallow_values_have_no_problem(self, value):
        assert json_problem(value) is None

    @pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
    def test_numbers_that_are_not_finite_are_refused_where_they_are(self, number):
        problem = json_problem({"a": [1, {"b": number}]})
        assert (problem.kind, problem.path) == ("number", ("a", 1, "b"))
        assert "is not a JSON number" in problem.message

    def test_the_limit_counts_arrays_and_objects(self):
        assert json_problem(nested(MAX_JSON_DEPTH)) is None
        problem = json_problem(nested(MAX_JSON_DEPTH + 1))
        assert problem.kind == "depth"
        assert problem.path == ("a",) * MAX_JSON_DEPTH
        assert json_problem([[1]], max_depth=1).path == (0,)

    def test_a_value_deeper_than_python_recurses_is_checked_without_recursion_error(self):
        value: list = []
        for _ in range(100_000):
            value = [value]
        assert json_problem(value).kind == "depth"

    def test_lone_surrogates_in_text_and_keys_are_refused(self):
        assert json_problem(["ok", "\ud800"]).path == (1,)
        assert json_problem({"\udfff": 1}).kind == "text"

    def test_the_first_problem_in_document_order_is_named(self):
        assert json_problem({"x": float("nan"), "y": float("inf")}).path == ("x",)


class TestParseJSON:
    def test_valid_json_is_parsed(self):
        assert parse_json(b'{"a": [1, 2.5, "\\u00e9", null, true]}') == {"a": [1, 2.5, "é", None, True]}

    @pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity", b"1e999"])
    def test_nan_and_infinities_are_refused_with_their_path(self, constant):
        problem = refusal(b'{"params_input": {"amount": ' + constant + b"}}")
        assert (problem.kind, problem.path) == ("number", ("params_input", "amount"))

    @pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 900, 100_000])
    def test_too_deep_bodies_name_the_path_to_where_they_pass_the_limit(self, depth):
        body = json.dumps({"params_input": {"notes": "shallow"}})[:-2] + ', "deep": ' + "[" * depth
        body += "]" * depth + "}}"
        problem = refusal(body.encode())
        assert problem.kind == "depth"
        assert problem.path[:3] == ("params_input", "deep", 0)
        assert len(problem.path) == MAX_JSON_DEPTH

    def test_a_body_as_deep_as_allowed_is_parsed(self):
        assert parse_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH) is not None

    def test_brackets_inside_strings_do_not_nest(self):
        text = '"' + "[{" * 100 + '\\"' + "[" * 100 + '"'
        assert parse_json(("[" + text + "]").encode()) == [json.loads(text)]

    def test_repeated_keys_are_followed_as_written(self):
        problem = refusal(b'{"a": 1, "b": 2, "a": ' + b"[" * 40 + b"]" * 40 + b"}")
        assert problem.path[:2] == ("a", 0)

    @pytest.mark.parametrize(
        "body",
        [b"", b"{", b"[}", b"[[]", b"nope", b'{"a": "[[[[' + b"[" * 40],
    )
    def test_text_that_is_not_json_is_refused_as_such(self, body):
        assert refusal(body).kind == "syntax"

    def test_invalid_utf8_is_refused(self):
        problem = refusal(b'["ab\xffc"]')
        assert (problem.kind, problem.message) == ("syntax", "not valid UTF-8 (byte 4)")

    def test_an_escaped_lone_surrogate_is_refused(self):
        assert refusal(b'{"notes": "\\ud800"}').path == ("notes",)

    def test_an_integer_too_long_for_python_is_refused_not_raised(self):
        assert "not acceptable JSON" in refusal(b"9" * 5000).message
