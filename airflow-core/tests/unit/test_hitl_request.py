"""Specification of ``airflow.hitl.request``: which request definitions and which answers are valid."""

from __future__ import annotations

import json

import pytest

from airflow.hitl.json_limits import MAX_JSON_DEPTH
from airflow.hitl.request import (
    MASK,
    AnswerErrors,
    check_definition,
    default_answer,
    mask_param_defaults,
    mask_params,
    normalize_defaults,
    sensitive_fields,
    sensitive_values,
    validate_answer,
)


def definition(**overrides):
    """A valid definition, with some parts replaced."""
    kwargs = {"options": ["Approve", "Reject"], "defaults": None, "multiple": False, "params": {}}
    kwargs.update(overrides)
    return check_definition(**kwargs)


def spec(schema=None, value=None, **extra):
    """A form field as stored in a request: a dumped ``Param``."""
    return {"value": value, "schema": schema if schema is not None else {}, "description": None, **extra}


APPROVE_OR_REJECT = {"options": ["Approve", "Reject"], "multiple": False, "params": {}}


class TestNormalizeDefaults:
    def test_missing_defaults_stay_missing(self):
        assert normalize_defaults(None) is None

    def test_a_lone_default_becomes_a_list_of_one(self):
        assert normalize_defaults("Approve") == ["Approve"]

    def test_a_sequence_of_defaults_becomes_a_list(self):
        assert normalize_defaults(("Approve", "Reject")) == ["Approve", "Reject"]


class TestCheckDefinition:
    def test_a_valid_definition_has_no_problems(self):
        assert definition() == []

    def test_valid_defaults_multiple_and_params_have_no_problems(self):
        params = {
            "reason": spec({"type": "string", "minLength": 1}, "ok"),
            "note": spec({"type": ["string", "null"]}),
        }
        assert definition(defaults=["Approve", "Reject"], multiple=True, params=params) == []

    def test_a_required_field_without_default_is_fine_next_to_defaults(self):
        # Whether the defaults can be applied is decided at the deadline (the task then fails clearly).
        assert definition(defaults=["Approve"], params={"note": spec({"type": "string"})}) == []

    def test_empty_options_are_rejected(self):
        assert definition(options=[]) == ["options must not be empty"]

    def test_options_given_as_a_single_string_are_rejected(self):
        problems = definition(options="Approve")
        assert problems == ["options must be a list of strings, got 'Approve'"]

    def test_options_that_are_not_a_sequence_are_rejected(self):
        problems = definition(options=42)
        assert problems == ["options must be a list of strings, got 42"]

    def test_a_non_string_option_is_rejected_by_its_value(self):
        assert definition(options=["Approve", 7]) == ["option 7 must be a non-empty string"]

    @pytest.mark.parametrize("blank", ["", "   "])
    def test_a_blank_option_is_rejected(self, blank):
        assert definition(options=["Approve", blank]) == [f"option {blank!r} must be a non-empty string"]

    def test_duplicate_options_are_rejected_naming_the_repeated_ones(self):
        problems = definition(options=["Approve", "Reject", "Approve", "Reject", "Later"])
        assert problems == ["options must be unique; repeated: ['Approve', 'Reject']"]

    def test_default_not_among_options_is_rejected_with_its_name(self):
        problems = definition(defaults=["Maybe"])
        assert problems == ["default 'Maybe' is not one of ['Approve', 'Reject']"]

    def test_each_unknown_default_is_reported(self):
        problems = definition(defaults=["Maybe", "Approve", "Later"], multiple=True)
        assert problems == [
            "default 'Maybe' is not one of ['Approve', 'Reject']",
            "default 'Later' is not one of ['Approve', 'Reject']",
        ]

    def test_an_empty_list_of_defaults_is_rejected(self):
        assert definition(defaults=[]) == ["defaults must not be empty (leave them out for no defaults)"]

    def test_several_defaults_without_multiple_are_rejected(self):
        problems = definition(defaults=["Approve", "Reject"], multiple=False)
        assert problems == ["2 defaults given but multiple=False allows only one"]

    def test_several_defaults_with_multiple_are_accepted(self):
        assert definition(defaults=["Approve", "Reject"], multiple=True) == []

    def test_a_param_with_an_invalid_json_schema_is_rejected_by_name(self):
        problems = definition(params={"count": spec({"type": "nonsense"})})
        assert len(problems) == 1
        assert problems[0].startswith("param 'count': invalid schema: ")

    def test_a_param_schema_with_a_wrongly_typed_keyword_is_rejected(self):
        problems = definition(params={"count": spec({"type": "integer", "minimum": "one"})})
        assert len(problems) == 1
        assert problems[0].startswith("param 'count': invalid schema: ")

    def test_a_param_default_of_the_wrong_type_is_rejected(self):
        problems = definition(params={"count": spec({"type": "integer"}, "three")})
        assert problems == [
            "param 'count': default 'three' does not match its schema: 'three' is not of type 'integer'"
        ]

    def test_a_param_default_below_its_minimum_is_rejected(self):
        problems = definition(params={"count": spec({"type": "integer", "minimum": 1}, 0)})
        assert problems == [
            "param 'count': default 0 does not match its schema: 0 is less than the minimum of 1"
        ]

    def test_a_param_without_default_is_not_checked_against_its_schema(self):
        assert definition(params={"count": spec({"type": "integer"}, None)}) == []

    def test_problems_of_options_defaults_and_params_are_all_reported(self):
        problems = definition(
            options=["A", "A"],
            defaults=["B", "A"],
            multiple=False,
            params={"n": spec({"type": "integer"}, "x")},
        )
        assert problems == [
            "options must be unique; repeated: ['A']",
            "default 'B' is not one of ['A', 'A']",
            "2 defaults given but multiple=False allows only one",
            "param 'n': default 'x' does not match its schema: 'x' is not of type 'integer'",
        ]


class TestValidateAnswerOptions:
    def test_a_single_known_option_is_accepted(self):
        errors, resolved = validate_answer(APPROVE_OR_REJECT, ["Approve"], {})
        assert not errors
        assert resolved == {}

    def test_unknown_option_message_names_the_valid_options(self):
        errors, _ = validate_answer(APPROVE_OR_REJECT, ["Aprove"], {})
        assert errors.options == ["option 'Aprove' is not one of ['Approve', 'Reject']"]
        assert errors.params == {}

    @pytest.mark.parametrize("chosen", [[], None])
    def test_choosing_nothing_is_rejected(self, chosen):
        errors, _ = validate_answer(APPROVE_OR_REJECT, chosen, {})
        assert errors.options == ["choose at least one option of ['Approve', 'Reject']"]

    def test_choosing_the_same_option_twice_is_rejected_even_with_multiple(self):
        snapshot = {**APPROVE_OR_REJECT, "multiple": True}
        errors, _ = validate_answer(snapshot, ["Approve", "Approve"], {})
        assert errors.options == ["an option may be chosen only once"]

    def test_several_options_without_multiple_are_rejected_with_the_count(self):
        errors, _ = validate_answer(APPROVE_OR_REJECT, ["Approve", "Reject"], {})
        assert errors.options == ["only one option may be chosen, got 2: ['Approve', 'Reject']"]

    def test_a_snapshot_without_multiple_allows_only_one_option(self):
        snapshot = {"options": ["Approve", "Reject"]}
        errors, _ = validate_answer(snapshot, ["Approve", "Reject"], None)
        assert errors.options == ["only one option may be chosen, got 2: ['Approve', 'Reject']"]

    def test_several_options_with_multiple_are_accepted(self):
        snapshot = {"options": ["a", "b", "c"], "multiple": True, "params": {}}
        errors, _ = validate_answer(snapshot, ["c", "a"], {})
        assert not errors


class TestValidateAnswerForm:
    SNAPSHOT = {
        "options": ["Go"],
        "multiple": False,
        "params": {
            "count": spec({"type": "integer", "minimum": 1, "maximum": 5}, 3),
            "colour": spec({"type": "string", "enum": ["red", "green"]}),
            "note": spec({"type": ["string", "null"]}),
        },
    }

    def answer(self, params_input):
        return validate_answer(self.SNAPSHOT, ["Go"], params_input)

    def test_a_complete_valid_form_is_accepted_as_given(self):
        errors, resolved = self.answer({"count": 5, "colour": "green", "note": "fine"})
        assert not errors
        assert resolved == {"count": 5, "colour": "green", "note": "fine"}

    def test_defaults_are_filled_in_for_missing_optional_fields(self):
        errors, resolved = self.answer({"colour": "red"})
        assert not errors
        assert resolved == {"count": 3, "colour": "red", "note": None}

    def test_a_nullable_field_accepts_an_explicit_null(self):
        errors, resolved = self.answer({"colour": "red", "note": None})
        assert not errors
        assert resolved["note"] is None

    def test_a_required_field_that_is_missing_is_reported(self):
        errors, resolved = self.answer({})
        assert errors.params == {"colour": "a value is required"}
        assert errors.options == []
        assert "colour" not in resolved

    def test_an_explicit_null_takes_the_fields_default(self):
        errors, resolved = self.answer({"colour": "red", "count": None})
        assert not errors
        assert resolved["count"] == 3

    def test_an_explicit_null_for_a_required_field_without_default_is_reported_as_missing(self):
        errors, _ = self.answer({"count": 2, "colour": None})
        assert errors.params == {"colour": "a value is required"}

    def test_an_unknown_field_is_reported_with_the_known_fields(self):
        errors, resolved = self.answer({"colour": "red", "colur": "red"})
        assert errors.params == {
            "colur": "unknown field (fields of this request: ['colour', 'count', 'note'])"
        }
        assert "colur" not in resolved

    def test_an_unknown_field_of_a_request_without_a_form_says_there_are_none(self):
        errors, _ = validate_answer(APPROVE_OR_REJECT, ["Approve"], {"comment": "hi"})
        assert errors.params == {"comment": "unknown field (fields of this request: none)"}

    def test_a_value_outside_the_enum_is_rejected(self):
        errors, _ = self.answer({"colour": "blue"})
        assert errors.params == {"colour": "'blue' is not one of ['red', 'green']"}

    def test_a_value_above_the_maximum_is_rejected(self):
        errors, _ = self.answer({"colour": "red", "count": 6})
        assert errors.params == {"count": "6 is greater than the maximum of 5"}

    def test_a_value_below_the_minimum_is_rejected(self):
        errors, _ = self.answer({"colour": "red", "count": 0})
        assert errors.params == {"count": "0 is less than the minimum of 1"}

    def test_a_value_of_the_wrong_type_is_rejected(self):
        errors, resolved = self.answer({"colour": "red", "count": "5"})
        assert errors.params == {"count": "'5' is not of type 'integer'"}
        assert "count" not in resolved

    def test_option_and_form_errors_are_reported_together(self):
        errors, _ = validate_answer(self.SNAPSHOT, ["Stop"], {"colour": "blue"})
        assert errors.options == ["option 'Stop' is not one of ['Go']"]
        assert errors.params == {"colour": "'blue' is not one of ['red', 'green']"}

    def test_a_field_without_schema_accepts_anything(self):
        snapshot = {"options": ["Go"], "params": {"free": spec(None, "x")}}
        errors, resolved = validate_answer(snapshot, ["Go"], {"free": {"any": ["thing"]}})
        assert not errors
        assert resolved == {"free": {"any": ["thing"]}}


class TestValidateAnswerJSONLimits:
    """Every channel's answers are checked for values no schema refuses on its own."""

    SNAPSHOT = {
        "options": ["Go"],
        "params": {
            "amount": spec({"type": "number", "minimum": 0, "maximum": 100}, 1),
            "free": spec(None, None),
        },
    }

    def answer(self, params_input):
        return validate_answer(self.SNAPSHOT, ["Go"], params_input)

    @pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
    def test_a_number_that_is_not_finite_is_refused_though_minimum_and_maximum_let_it_pass(self, number):
        errors, resolved = self.answer({"amount": number})
        assert errors.params == {"amount": f"{json.dumps(number)} is not a JSON number: send a finite number"}
        assert "amount" not in resolved

    def test_a_problem_inside_a_value_says_where(self):
        errors, _ = self.answer({"free": {"rows": [1, float("nan")]}})
        assert errors.params == {
            "free": "NaN is not a JSON number: send a finite number (at free['rows'][1])"
        }

    @pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 300, 5000])
    def test_a_value_nested_too_deeply_is_refused_without_recursion_error(self, depth):
        value: list = []
        for _ in range(depth - 1):
            value = [value]
        errors, _ = self.answer({"free": value})
        assert errors.params == {"free": f"arrays and objects may nest at most {MAX_JSON_DEPTH} levels deep"}

    def test_a_value_as_deep_as_allowed_is_accepted(self):
        value: list = []
        for _ in range(MAX_JSON_DEPTH - 1):
            value = [value]
        errors, resolved = self.answer({"free": value})
        assert not errors and resolved["free"] == value


class TestAnswerErrors:
    def test_no_errors_is_falsy(self):
        assert not AnswerErrors()

    def test_an_option_error_alone_is_truthy(self):
        assert AnswerErrors(options=["x"])

    def test_a_field_error_alone_is_truthy(self):
        assert AnswerErrors(params={"a": "b"})

    def test_describe_lists_option_errors_then_field_errors_by_name(self):
        errors = AnswerErrors(options=["bad option"], params={"count": "too big", "colour": "unknown"})
        assert errors.describe() == "bad option; count: too big; colour: unknown"


class TestDefaultAnswer:
    def test_the_defaults_and_each_fields_default_value_are_applied(self):
        snapshot = {
            "options": ["Approve", "Reject"],
            "params": {"count": spec({"type": "integer"}, 3), "note": spec({"type": ["string", "null"]})},
        }
        assert default_answer(snapshot, ["Reject"]) == {
            "chosen_options": ["Reject"],
            "params_input": {"count": 3, "note": None},
        }

    def test_without_defaults_no_option_is_chosen(self):
        assert default_answer(APPROVE_OR_REJECT, None) == {"chosen_options": [], "params_input": {}}

    def test_a_snapshot_without_params_gives_an_empty_form(self):
        assert default_answer({"options": ["a"]}, ("a",)) == {"chosen_options": ["a"], "params_input": {}}


class TestSensitiveFields:
    PARAMS = {
        "password": spec({"type": "string", "format": "password"}),
        "token": spec({"type": "string"}, sensitive=True),
        "email": spec({"type": "string", "format": "email"}),
        "plain": spec(None),
        "count": {"value": 1},
    }

    def test_password_formatted_and_flagged_fields_are_sensitive(self):
        assert sensitive_fields(self.PARAMS) == {"password", "token"}

    def test_mask_params_hides_only_sensitive_values(self):
        values = {"password": "hunter2", "token": "abc", "email": "a@b.c", "plain": "p", "count": 1}
        assert mask_params(self.PARAMS, values) == {
            "password": MASK,
            "token": MASK,
            "email": "a@b.c",
            "plain": "p",
            "count": 1,
        }

    def test_the_mask_is_three_stars(self):
        assert mask_params(self.PARAMS, {"password": "hunter2"}) == {"password": "***"}

    def test_an_empty_sensitive_value_is_shown_as_empty_not_masked(self):
        assert mask_params(self.PARAMS, {"password": None}) == {"password": None}

    def test_no_values_stay_no_values(self):
        assert mask_params(self.PARAMS, None) is None

    def test_masking_does_not_change_the_given_values(self):
        values = {"password": "hunter2"}
        mask_params(self.PARAMS, values)
        assert values == {"password": "hunter2"}

    def test_defaults_of_sensitive_fields_are_masked_and_the_others_kept(self):
        params = {
            "password": spec({"type": "string", "format": "password"}, "hunter22"),
            "blank": spec({"type": "string", "format": "password"}),
            "plain": spec({"type": "string"}, "p"),
        }
        masked = mask_param_defaults(params)
        assert masked == {**params, "password": {**params["password"], "value": MASK}}
        assert params["password"]["value"] == "hunter22", "the given params are not changed"

    def test_sensitive_values_are_the_set_values_of_sensitive_fields(self):
        values = {"password": "hunter2", "token": None, "plain": "p"}
        assert sensitive_values(self.PARAMS, values) == ["hunter2"]
        assert sensitive_values(self.PARAMS, None) == []
