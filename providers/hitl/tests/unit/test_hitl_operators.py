"""Specification of the HITL operators: definition checks, request building and resume results."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest

from airflow.exceptions import AirflowException
from airflow.hitl.events import response_event, timeout_event
from airflow.hitl.request import HITLDefinitionError
from airflow.providers.hitl.operators.hitl import (
    ApprovalOperator,
    HITLOperator,
    HITLTimeoutError,
    normalize_users,
    params_to_specs,
)
from airflow.sdk import DAG, Param
from airflow.sdk.definitions.param import ParamsDict

WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def hitl(**overrides):
    kwargs = {"task_id": "ask", "subject": "Ship it?", "options": ["Approve", "Reject"]}
    kwargs.update(overrides)
    return HITLOperator(**kwargs)


def snapshot(options=("Approve", "Reject"), multiple=False, params=None):
    return {"options": list(options), "multiple": multiple, "params": params or {}}


def answered(request, chosen, params_input=None, user=None):
    return response_event(
        request=request,
        chosen_options=chosen,
        params_input=params_input or {},
        responded_at=WHEN,
        responded_by_user=user or {"id": "u1", "name": "Una"},
        channel="api",
    )


def deadline_passed(request, chosen, params_input=None):
    return timeout_event(
        request=request, chosen_options=chosen, params_input=params_input or {}, deadline=WHEN
    )


class TestDefinitionErrorsAtConstruction:
    def test_empty_options_are_rejected_naming_the_task(self):
        with pytest.raises(HITLDefinitionError, match=r"^HITL task 'ask': options must not be empty$"):
            hitl(options=[])

    def test_default_not_in_options_is_rejected_naming_the_task_and_the_default(self):
        with pytest.raises(HITLDefinitionError) as excinfo:
            hitl(defaults="Maybe")
        assert str(excinfo.value) == "HITL task 'ask': default 'Maybe' is not one of ['Approve', 'Reject']"

    def test_two_defaults_without_multiple_are_rejected_naming_the_task(self):
        with pytest.raises(HITLDefinitionError) as excinfo:
            hitl(defaults=["Approve", "Reject"])
        assert str(excinfo.value) == "HITL task 'ask': 2 defaults given but multiple=False allows only one"

    def test_two_defaults_with_multiple_are_accepted(self):
        assert hitl(defaults=["Approve", "Reject"], multiple=True).defaults == ["Approve", "Reject"]

    def test_options_as_a_plain_string_are_rejected(self):
        with pytest.raises(HITLDefinitionError, match=r"^HITL task 'ask': options must be a list of strings"):
            hitl(options="Approve")

    def test_a_param_default_violating_its_schema_is_rejected(self):
        with pytest.raises(HITLDefinitionError) as excinfo:
            hitl(params={"count": Param("three", type="integer")})
        assert str(excinfo.value) == (
            "HITL task 'ask': param 'count': default 'three' does not match its schema: "
            "'three' is not of type 'integer'"
        )

    @pytest.mark.parametrize("entry", [{"name": "No Id"}, {"id": ""}, "alice", None])
    def test_an_assigned_user_without_an_id_is_rejected(self, entry):
        with pytest.raises(HITLDefinitionError, match=r"assigned_users entries need an 'id'"):
            hitl(assigned_users=[entry])

    @pytest.mark.parametrize("timeout", [60, "1h", 1.5])
    def test_a_response_timeout_that_is_not_a_timedelta_is_rejected_naming_the_task(self, timeout):
        with pytest.raises(HITLDefinitionError) as excinfo:
            hitl(response_timeout=timeout)
        assert str(excinfo.value) == "HITL task 'ask': response_timeout must be a timedelta"

    def test_definition_errors_are_value_errors(self):
        with pytest.raises(ValueError, match="options must not be empty"):
            hitl(options=[])

    def test_a_definition_error_inside_a_dag_names_the_task(self):
        expected = r"^HITL task 'inside': options must not be empty$"
        with DAG("d", schedule=None), pytest.raises(HITLDefinitionError, match=expected):
            hitl(task_id="inside", options=[])


class TestConstruction:
    def test_a_valid_operator_keeps_its_request(self):
        op = hitl(
            body="**why**",
            defaults="Reject",
            assigned_users={"id": "u1", "name": "Una"},
            assigned_groups=["reviewers"],
            response_timeout=timedelta(hours=1),
        )
        assert op.subject == "Ship it?"
        assert op.body == "**why**"
        assert op.options == ["Approve", "Reject"]
        assert op.defaults == ["Reject"]
        assert op.multiple is False
        assert op.assigned_users == [{"id": "u1", "name": "Una"}]
        assert op.assigned_groups == ["reviewers"]
        assert op.response_timeout == timedelta(hours=1)

    def test_an_operator_can_be_built_inside_a_dag(self):
        with DAG("d", schedule=None) as dag:
            op = hitl()
        assert op.dag is dag
        assert dag.task_dict["ask"] is op

    def test_subject_body_and_options_are_templated(self):
        assert set(HITLOperator.template_fields) == {"subject", "body", "options"}

    def test_templated_options_are_not_checked_at_construction(self):
        op = hitl(options="{{ params.choices }}", defaults="Not rendered yet")
        assert op.options == "{{ params.choices }}"

    def test_a_list_of_templated_options_is_not_checked_at_construction(self):
        op = hitl(options=["{{ a }}", "{{ a }}"])
        assert op.options == ["{{ a }}", "{{ a }}"]

    def test_without_response_timeout_there_is_no_deadline(self):
        assert hitl().response_timeout is None

    def test_form_fields_are_stored_as_specs(self):
        op = hitl(params={"count": Param(3, type="integer")})
        assert op.hitl_params == {"count": {"value": 3, "schema": {"type": "integer"}, "description": None}}


class TestExecutionTimeoutAsResponseTimeout:
    def test_execution_timeout_alone_becomes_response_timeout_with_a_deprecation_warning(self):
        with pytest.warns(DeprecationWarning, match="pass response_timeout instead"):
            op = hitl(execution_timeout=timedelta(minutes=5))
        assert op.response_timeout == timedelta(minutes=5)
        assert op.execution_timeout is None

    def test_execution_timeout_next_to_response_timeout_stays_an_execution_timeout_silently(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            op = hitl(execution_timeout=timedelta(minutes=5), response_timeout=timedelta(days=1))
        assert op.response_timeout == timedelta(days=1)
        assert op.execution_timeout == timedelta(minutes=5)


class TestRenderedOptions:
    def test_a_rendered_json_list_is_parsed(self):
        op = hitl(options="{{ x }}")
        op.options = '["Red", "Green"]'
        assert op._rendered_options() == ["Red", "Green"]

    def test_a_rendered_python_literal_list_is_parsed(self):
        op = hitl(options="{{ x }}")
        op.options = "['Red', 'Green']"
        assert op._rendered_options() == ["Red", "Green"]

    def test_a_rendered_tuple_becomes_a_list(self):
        op = hitl(options="{{ x }}")
        op.options = ("Red", "Green")
        assert op._rendered_options() == ["Red", "Green"]

    def test_an_already_rendered_list_is_kept(self):
        assert hitl()._rendered_options() == ["Approve", "Reject"]

    def test_a_rendered_string_that_is_not_a_list_is_rejected_naming_the_task(self):
        op = hitl(options="{{ x }}")
        op.options = "Red"
        with pytest.raises(HITLDefinitionError, match=r"^HITL task 'ask': options must be a list of strings"):
            op._rendered_options()

    def test_rendered_options_are_checked_against_the_defaults(self):
        op = hitl(options="{{ x }}", defaults="Blue")
        op.options = '["Red", "Green"]'
        with pytest.raises(HITLDefinitionError) as excinfo:
            op._rendered_options()
        assert str(excinfo.value) == "HITL task 'ask': default 'Blue' is not one of ['Red', 'Green']"

    def test_the_request_carries_the_rendered_options(self):
        op = hitl(options="{{ x }}", defaults="Red", params={"n": Param(1, type="integer")})
        op.options = "['Red', 'Green']"
        assert op.build_request() == {
            "subject": "Ship it?",
            "body": None,
            "options": ["Red", "Green"],
            "defaults": ["Red"],
            "multiple": False,
            "params": {"n": {"value": 1, "schema": {"type": "integer"}, "description": None}},
            "assigned_users": [],
            "assigned_groups": [],
        }


class TestParamsToSpecs:
    def test_nothing_gives_no_fields(self):
        assert params_to_specs(None) == {}
        assert params_to_specs({}) == {}

    def test_a_param_with_a_default_keeps_value_schema_and_description(self):
        specs = params_to_specs({"count": Param(3, type="integer", minimum=1, description="How many")})
        assert specs == {
            "count": {
                "value": 3,
                "schema": {"type": "integer", "minimum": 1},
                "description": "How many",
            }
        }

    def test_a_param_without_a_default_has_value_none(self):
        specs = params_to_specs({"reason": Param(type="string")})
        assert specs == {"reason": {"value": None, "schema": {"type": "string"}, "description": None}}

    def test_a_plain_value_becomes_a_field_without_schema(self):
        assert params_to_specs({"note": "hello", "n": 5}) == {
            "note": {"value": "hello", "schema": {}, "description": None},
            "n": {"value": 5, "schema": {}, "description": None},
        }

    def test_a_params_dict_is_read_param_by_param(self):
        params = ParamsDict({"count": Param(2, type="integer"), "reason": Param(type="string"), "note": "x"})
        assert params_to_specs(params) == {
            "count": {"value": 2, "schema": {"type": "integer"}, "description": None},
            "reason": {"value": None, "schema": {"type": "string"}, "description": None},
            "note": {"value": "x", "schema": {}, "description": None},
        }

    def test_the_spec_schema_is_a_copy(self):
        param = Param(3, type="integer")
        params_to_specs({"count": param})["count"]["schema"]["type"] = "string"
        assert param.schema == {"type": "integer"}


class TestNormalizeUsers:
    def test_no_users_is_an_empty_list(self):
        assert normalize_users(None) == []

    def test_a_lone_dict_is_one_user(self):
        assert normalize_users({"id": "u1", "name": "Una"}) == [{"id": "u1", "name": "Una"}]

    def test_a_list_keeps_every_user_in_order(self):
        users = [{"id": "u2", "name": "Bo"}, {"id": "u1", "name": "Una"}]
        assert normalize_users(users) == [{"id": "u2", "name": "Bo"}, {"id": "u1", "name": "Una"}]

    def test_a_missing_name_falls_back_to_the_id(self):
        assert normalize_users([{"id": "u1"}]) == [{"id": "u1", "name": "u1"}]

    def test_ids_and_names_become_strings(self):
        assert normalize_users({"id": 7, "name": 8}) == [{"id": "7", "name": "8"}]

    def test_an_entry_without_an_id_is_rejected_showing_the_entry(self):
        with pytest.raises(HITLDefinitionError, match=r"got \{'name': 'Una'\}"):
            normalize_users([{"id": "u1"}, {"name": "Una"}])


class TestApprovalOperator:
    def test_offers_approve_and_reject_one_at_a_time(self):
        op = ApprovalOperator(task_id="approve", subject="Ship it?")
        assert op.options == ["Approve", "Reject"]
        assert op.multiple is False

    @pytest.mark.parametrize(("name", "value"), [("options", ["Yes", "No"]), ("multiple", True)])
    def test_refuses_fixed_arguments_naming_the_task_and_the_argument(self, name, value):
        with pytest.raises(HITLDefinitionError) as excinfo:
            ApprovalOperator(task_id="approve", subject="Ship it?", **{name: value})
        message = str(excinfo.value)
        assert message.startswith(f"ApprovalOperator 'approve': '{name}' is fixed")
        assert "['Approve', 'Reject']" in message

    def test_refuses_multiple_even_when_false(self):
        with pytest.raises(HITLDefinitionError, match="'multiple' is fixed"):
            ApprovalOperator(task_id="approve", subject="Ship it?", multiple=False)

    def test_a_default_must_be_approve_or_reject(self):
        with pytest.raises(
            HITLDefinitionError, match=r"default 'Maybe' is not one of \['Approve', 'Reject'\]"
        ):
            ApprovalOperator(task_id="approve", subject="Ship it?", defaults="Maybe")

    def test_can_be_built_inside_a_dag_with_a_default(self):
        with DAG("d", schedule=None) as dag:
            op = ApprovalOperator(task_id="approve", subject="Ship it?", defaults="Reject")
        assert op.defaults == ["Reject"]
        assert dag.task_dict["approve"] is op


class TestResultFromEvent:
    FORM = {
        "count": {"value": 3, "schema": {"type": "integer"}, "description": None},
        "reason": {"value": None, "schema": {"type": "string"}, "description": None},
    }

    def test_a_response_event_gives_the_answer(self):
        event = answered(snapshot(), ["Approve"])
        assert hitl().result_from_event(event) == {
            "chosen_options": ["Approve"],
            "params_input": {},
            "responded_at": "2025-03-04T05:06:07+00:00",
            "responded_by_user": {"id": "u1", "name": "Una"},
            "timed_out": False,
        }

    def test_a_response_event_gets_the_form_defaults_filled_in(self):
        event = answered(snapshot(params=self.FORM), ["Reject"], {"reason": "too risky"})
        result = hitl().result_from_event(event)
        assert result["params_input"] == {"count": 3, "reason": "too risky"}

    def test_the_result_is_checked_against_the_snapshot_not_the_operator(self):
        request = snapshot(options=["Red", "Green"], multiple=True)
        result = hitl().result_from_event(answered(request, ["Green", "Red"]))
        assert result["chosen_options"] == ["Green", "Red"]

    def test_a_timeout_event_without_defaults_raises_hitl_timeout_error(self):
        event = deadline_passed(snapshot(), [])
        with pytest.raises(HITLTimeoutError, match="Nobody answered 'Ship it\\?' before its deadline"):
            hitl().result_from_event(event)

    def test_a_timeout_error_is_an_airflow_exception(self):
        assert issubclass(HITLTimeoutError, AirflowException)

    def test_a_timeout_event_with_defaults_gives_the_defaults_as_timed_out(self):
        request = snapshot(params=self.FORM)
        event = deadline_passed(request, ["Reject"], {"count": 3, "reason": "none given"})
        assert hitl(defaults="Reject").result_from_event(event) == {
            "chosen_options": ["Reject"],
            "params_input": {"count": 3, "reason": "none given"},
            "responded_at": "2025-03-04T05:06:07+00:00",
            "responded_by_user": None,
            "timed_out": True,
        }

    def test_an_event_whose_chosen_option_is_not_in_the_snapshot_raises(self):
        event = answered(snapshot(), ["Maybe"])
        with pytest.raises(AirflowException, match=r"option 'Maybe' is not one of \['Approve', 'Reject'\]"):
            hitl().result_from_event(event)

    def test_a_response_event_choosing_nothing_is_refused_but_is_not_a_timeout(self):
        event = answered(snapshot(), [])
        with pytest.raises(AirflowException, match="choose at least one option") as excinfo:
            hitl().result_from_event(event)
        assert not isinstance(excinfo.value, HITLTimeoutError)

    def test_an_event_with_an_invalid_form_value_raises(self):
        event = answered(snapshot(params=self.FORM), ["Approve"], {"count": "many", "reason": "r"})
        with pytest.raises(AirflowException, match=r"The answer does not fit the request: count: "):
            hitl().result_from_event(event)

    def test_an_event_with_several_options_for_a_single_choice_request_raises(self):
        event = answered(snapshot(), ["Approve", "Reject"])
        with pytest.raises(AirflowException, match="only one option may be chosen"):
            hitl().result_from_event(event)

    def test_execute_complete_returns_the_result(self):
        event = answered(snapshot(), ["Reject"])
        result = hitl().execute_complete(context={}, event=event)
        assert result["chosen_options"] == ["Reject"]
        assert result["timed_out"] is False

    def test_an_approval_returns_the_result_without_touching_the_context(self):
        op = ApprovalOperator(task_id="approve", subject="Ship it?")
        event = answered(snapshot(), ["Approve"])
        assert op.execute_complete(context={}, event=event)["chosen_options"] == ["Approve"]
