"""Specification of the HITL operators: definition checks, request building and resume results."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from airflow.exceptions import AirflowException
from airflow.hitl.events import response_event, timeout_event
from airflow.hitl.request import HITLDefinitionError, validate_answer
from airflow.providers.hitl.operators.hitl import (
    ApprovalOperator,
    HITLBranchOperator,
    HITLEntryOperator,
    HITLOperator,
    HITLRejectedError,
    HITLTerminationOperator,
    HITLTimeoutError,
    _running_in_dag_test,
    normalize_users,
    params_to_specs,
)
from airflow.sdk import DAG, Param
from airflow.sdk.definitions.param import ParamsDict
from airflow.sdk.execution_time import task_runner
from airflow.sdk.execution_time.supervisor import InProcessSupervisorComms

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


def branch(**overrides):
    kwargs = {
        "task_id": "route",
        "subject": "Where to?",
        "options": ["Publish", "Review", "Remove"],
        "multiple": True,
    }
    kwargs.update(overrides)
    return HITLBranchOperator(**kwargs)


class RecordingTI:
    """Stands in for the task instance: records XCom pushes (into a shared log, if given)."""

    def __init__(self, log=None, try_number=1):
        self.log = log if log is not None else []
        self.try_number = try_number
        self.id = "0190d6a2-0000-7000-8000-000000000001"

    def xcom_push(self, key, value):
        self.log.append(("xcom_push", key, value))


class UntouchableContext(Mapping):
    """A context that fails the test when anything reads it."""

    def __getitem__(self, key):
        raise AssertionError(f"the context was read ({key!r})")

    def __iter__(self):
        raise AssertionError("the context was iterated")

    def __len__(self):
        raise AssertionError("the context was measured")


def a_result(chosen, timed_out=False):
    return {
        "chosen_options": list(chosen),
        "params_input": {},
        "responded_at": "2025-03-04T05:06:07+00:00",
        "responded_by_user": None if timed_out else {"id": "u1", "name": "Una"},
        "timed_out": timed_out,
    }


@pytest.fixture
def in_dag_test(monkeypatch):
    """Make the operators believe they run under `airflow dags test`."""
    comms = InProcessSupervisorComms.__new__(InProcessSupervisorComms)
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)


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

    @pytest.mark.parametrize(
        ("assignment", "message"),
        [
            ({"assigned_groups": ["x" * 251]}, "assigned_groups: a group name must be 1 to 250 characters"),
            ({"assigned_groups": [""]}, "assigned_groups: a group name must be 1 to 250 characters"),
            (
                {"assigned_groups": ["eu/ops"]},
                "assigned_groups: a group name must not be '.' or '..' or contain '/'",
            ),
            ({"assigned_groups": [".."]}, "assigned_groups: a group name must not be '.' or '..'"),
            ({"assigned_users": {"id": "."}}, "assigned_users: a user id must not be '.' or '..'"),
            (
                {"assigned_groups": ["ops?"]},
                "assigned_groups: a group name must not be '.' or '..' or contain",
            ),
            (
                {"assigned_users": {"id": "a#b"}},
                "assigned_users: a user id must not be '.' or '..' or contain",
            ),
            (
                {"assigned_groups": [" ops"]},
                "assigned_groups: a group name must not start or end with blanks",
            ),
            ({"assigned_users": {"id": "u" * 251}}, "assigned_users: a user id must be 1 to 250 characters"),
            (
                {"assigned_groups": ["eu\nops"]},
                "assigned_groups: a group name must not contain control characters",
            ),
            (
                {"assigned_users": {"id": "bob\t"}},
                "assigned_users: a user id must not contain control characters",
            ),
        ],
    )
    def test_assignees_the_database_cannot_hold_are_refused_at_parse_time(self, assignment, message):
        # Such a request could never be registered; refusing it here names the task instead.
        with pytest.raises(HITLDefinitionError, match=r"^HITL task 'ask': " + re.escape(message)):
            hitl(**assignment)

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

    def test_a_lone_group_name_is_one_group_and_repeats_are_dropped(self):
        assert hitl(assigned_groups="reviewers").assigned_groups == ["reviewers"]
        assert hitl(assigned_groups=["ops", "qa", "ops"]).assigned_groups == ["ops", "qa"]

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
        assert op.render_request() == {
            "subject": "Ship it?",
            "body": None,
            "options": ["Red", "Green"],
            "defaults": ["Red"],
            "multiple": False,
            "params": {"n": {"value": 1, "schema": {"type": "integer"}, "description": None}},
            "assigned_users": [],
            "assigned_groups": [],
            "policy": {
                "require_comment_on": [],
                "allow_self_approval": True,
                "excluded_users": [],
                "required_votes": {},
            },
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


class TestAnswerPolicy:
    def test_the_request_carries_the_policy(self):
        op = ApprovalOperator(task_id="approve", subject="Pay?", require_comment_on="Reject")
        assert op.render_request()["policy"] == {
            "require_comment_on": ["Reject"],
            "allow_self_approval": True,
            "excluded_users": [],
            "required_votes": {},
        }

    def test_a_comment_rule_for_an_option_that_is_not_offered_fails_at_parse_time(self):
        with pytest.raises(HITLDefinitionError) as excinfo:
            ApprovalOperator(task_id="approve", subject="Pay?", require_comment_on=["Decline"])
        assert str(excinfo.value) == (
            "HITL task 'approve': require_comment_on: 'Decline' is not one of the options ['Approve', 'Reject']"
        )

    def test_required_approvals_counts_for_approve_and_one_rejection_rejects(self):
        op = ApprovalOperator(task_id="approve", subject="Pay?", required_approvals=2)
        assert op.render_request()["policy"]["required_votes"] == {"Approve": 2}
        op = ApprovalOperator(task_id="approve", subject="Pay?", required_approvals=2, reject_quorum=2)
        assert op.render_request()["policy"]["required_votes"] == {"Approve": 2, "Reject": 2}

    def test_on_a_single_choice_every_option_needs_the_quorum(self):
        op = hitl(options=["red", "green"], required_approvals=3)
        assert op.render_request()["policy"]["required_votes"] == {"red": 3, "green": 3}

    @pytest.mark.parametrize("bad", [0, -1, 1.5, True])
    def test_required_approvals_must_be_a_whole_number_of_at_least_one(self, bad):
        with pytest.raises(
            HITLDefinitionError, match="required_approvals must be a whole number of at least 1"
        ):
            hitl(required_approvals=bad)

    def test_a_quorum_needs_a_single_choice(self):
        with pytest.raises(HITLDefinitionError, match="needs multiple=False"):
            hitl(multiple=True, required_approvals=2)

    def test_the_votes_sensitive_values_are_masked_in_the_xcom(self):
        form = {
            "key": {"value": None, "schema": {"type": "string", "format": "password"}, "description": None}
        }
        op = hitl(params={"key": Param(None, type=["null", "string"], format="password")})
        vote = {
            "user": {"id": "u1", "name": "Una"},
            "chosen_options": ["Approve"],
            "params_input": {"key": "vote-only-secret"},
        }
        event = {**answered(snapshot(params=form), ["Approve"], {"key": "vote-only-secret"}), "votes": [vote]}
        result = op.execute_complete(context={}, event=event)
        assert result["votes"][0]["params_input"] == {"key": "***"}

    def test_the_result_carries_the_comment_of_the_answer(self):
        event = {**answered(snapshot(), ["Reject"]), "comment": "wrong totals"}
        assert hitl().result_from_event(event)["comment"] == "wrong totals"


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
            "comment": None,
            "votes": [],
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
            "comment": None,
            "votes": [],
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

    def test_a_timeout_whose_defaults_leave_a_required_field_empty_raises_naming_the_field(self):
        request = snapshot(params=self.FORM)
        event = deadline_passed(request, ["Reject"], {"count": 3, "reason": None})
        with pytest.raises(HITLTimeoutError) as excinfo:
            hitl(defaults="Reject").result_from_event(event)
        message = str(excinfo.value)
        assert message.startswith("Nobody answered 'Ship it?' before its deadline 2025-03-04T05:06:07+00:00")
        assert "the defaults cannot be applied: reason: a value is required" in message
        assert "count" not in message

    def test_an_answer_leaving_a_required_field_empty_is_refused_but_is_not_a_timeout(self):
        event = answered(snapshot(params=self.FORM), ["Approve"], {"count": 3})
        with pytest.raises(AirflowException, match="reason: a value is required") as excinfo:
            hitl().result_from_event(event)
        assert not isinstance(excinfo.value, HITLTimeoutError)


class TestHITLBranchOperator:
    def test_a_mapping_key_that_is_not_an_option_is_rejected_naming_the_task(self):
        with pytest.raises(HITLDefinitionError) as excinfo:
            branch(options_mapping={"Publish": "publish", "Archive": "archive"})
        assert str(excinfo.value) == (
            "HITL task 'route': options_mapping names ['Archive'], which are not among the options "
            "['Publish', 'Review', 'Remove']"
        )

    def test_every_unknown_mapping_key_is_named_in_sorted_order(self):
        with pytest.raises(HITLDefinitionError, match=r"options_mapping names \['Archive', 'Zap'\]"):
            branch(options_mapping={"Zap": "z", "Publish": "publish", "Archive": "a"})

    def test_mapping_keys_are_matched_exactly(self):
        with pytest.raises(HITLDefinitionError, match=r"options_mapping names \['publish'\]"):
            branch(options_mapping={"publish": "publish"})

    def test_a_mapping_error_inside_a_dag_names_the_task(self):
        with DAG("d", schedule=None), pytest.raises(HITLDefinitionError, match=r"^HITL task 'inside': "):
            branch(task_id="inside", options_mapping={"Archive": "archive"})

    def test_the_options_themselves_are_still_checked(self):
        with pytest.raises(HITLDefinitionError, match=r"^HITL task 'route': options must not be empty$"):
            branch(options=[])

    def test_a_mapping_of_some_options_is_kept_as_a_copy(self):
        mapping = {"Publish": "publish", "Remove": ["remove", "notify"]}
        op = branch(options_mapping=mapping)
        mapping["Review"] = "review"
        assert op.options_mapping == {"Publish": "publish", "Remove": ["remove", "notify"]}

    def test_without_a_mapping_every_option_maps_to_itself(self):
        op = branch()
        assert op.options_mapping == {}
        assert op.branches_for(["Review", "Publish"]) == ["Review", "Publish"]

    def test_templated_options_are_not_checked_against_the_mapping_at_construction(self):
        op = branch(options="{{ params.choices }}", options_mapping={"Archive": "archive"})
        assert op.options_mapping == {"Archive": "archive"}

    def test_a_mapped_option_follows_its_task_id(self):
        op = branch(options_mapping={"Publish": "publish_task"})
        assert op.branches_for(["Publish"]) == ["publish_task"]

    def test_an_unmapped_option_follows_the_task_of_the_same_name(self):
        op = branch(options_mapping={"Publish": "publish_task"})
        assert op.branches_for(["Review"]) == ["Review"]

    def test_an_option_may_map_to_a_task_group_id(self):
        op = branch(options_mapping={"Review": "legal.review"})
        assert op.branches_for(["Review"]) == ["legal.review"]

    def test_an_option_mapped_to_a_list_follows_each_of_them_in_order(self):
        op = branch(options_mapping={"Remove": ["remove", "notify_author", "audit"]})
        assert op.branches_for(["Remove"]) == ["remove", "notify_author", "audit"]

    def test_an_option_may_map_to_a_tuple(self):
        op = branch(options_mapping={"Remove": ("remove", "audit")})
        assert op.branches_for(["Remove"]) == ["remove", "audit"]

    def test_the_order_of_the_chosen_options_is_kept(self):
        op = branch(options_mapping={"Publish": "publish", "Remove": ["remove", "audit"]})
        assert op.branches_for(["Remove", "Review", "Publish"]) == ["remove", "audit", "Review", "publish"]
        assert op.branches_for(["Publish", "Review", "Remove"]) == ["publish", "Review", "remove", "audit"]

    def test_a_target_shared_by_several_options_is_followed_once_where_it_first_appears(self):
        op = branch(options_mapping={"Publish": ["publish", "audit"], "Remove": ["audit", "remove"]})
        assert op.branches_for(["Publish", "Remove"]) == ["publish", "audit", "remove"]

    def test_a_mapped_target_equal_to_an_unmapped_option_is_followed_once(self):
        op = branch(options_mapping={"Publish": ["publish", "Review"]})
        assert op.branches_for(["Publish", "Review"]) == ["publish", "Review"]

    def test_a_list_repeating_a_target_follows_it_once(self):
        op = branch(options_mapping={"Remove": ["remove", "remove"]})
        assert op.branches_for(["Remove"]) == ["remove"]

    def test_nothing_chosen_follows_nothing(self):
        assert branch().branches_for([]) == []

    def test_process_result_pushes_the_answer_and_the_followed_ids_then_branches(self, monkeypatch):
        log = []
        op = branch(options_mapping={"Remove": ["remove", "audit"]})

        def do_branch(context, branches_to_execute):
            log.append(("do_branch", context, branches_to_execute))
            return "what do_branch returned"

        monkeypatch.setattr(op, "do_branch", do_branch)
        context = {"ti": RecordingTI(log)}
        result = a_result(["Remove", "Review"])

        assert op.process_result(context, result) == "what do_branch returned"
        assert log == [
            ("xcom_push", "hitl_response", result),
            ("xcom_push", "return_value", ["remove", "audit", "Review"]),
            ("do_branch", context, ["remove", "audit", "Review"]),
        ]

    def test_execute_complete_branches_on_the_answer_in_the_event(self, monkeypatch):
        calls = []
        op = branch(options_mapping={"Publish": "publish"})
        monkeypatch.setattr(op, "do_branch", lambda context, ids: calls.append(ids) or ids)
        ti = RecordingTI()
        event = answered(snapshot(options=["Publish", "Review", "Remove"], multiple=True), ["Publish"])

        assert op.execute_complete(context={"ti": ti}, event=event) == ["publish"]
        assert calls == [["publish"]]
        assert ("xcom_push", "return_value", ["publish"]) in ti.log
        (response,) = [value for _, key, value in ti.log if key == "hitl_response"]
        assert response["chosen_options"] == ["Publish"]
        assert response["responded_by_user"] == {"id": "u1", "name": "Una"}


class TestHITLEntryOperator:
    def test_options_and_defaults_are_ok_when_not_given(self):
        op = HITLEntryOperator(task_id="form", subject="Fill in")
        assert op.options == ["OK"]
        assert op.defaults == ["OK"]
        assert op.multiple is False

    def test_explicit_options_have_no_defaults_unless_given(self):
        op = HITLEntryOperator(task_id="form", subject="Fill in", options=["Submit", "Cancel"])
        assert op.options == ["Submit", "Cancel"]
        assert op.defaults is None

    def test_explicit_options_keep_explicit_defaults(self):
        op = HITLEntryOperator(
            task_id="form", subject="Fill in", options=["Submit", "Cancel"], defaults="Cancel"
        )
        assert op.defaults == ["Cancel"]

    def test_explicit_defaults_with_the_default_option_are_kept(self):
        assert HITLEntryOperator(task_id="form", subject="Fill in", defaults="OK").defaults == ["OK"]

    def test_a_default_other_than_ok_needs_options_that_contain_it(self):
        with pytest.raises(HITLDefinitionError) as excinfo:
            HITLEntryOperator(task_id="form", subject="Fill in", defaults="Cancel")
        assert str(excinfo.value) == "HITL task 'form': default 'Cancel' is not one of ['OK']"

    def test_the_form_fields_are_kept(self):
        op = HITLEntryOperator(task_id="form", subject="Fill in", params={"note": Param(type="string")})
        assert op.hitl_params == {"note": {"value": None, "schema": {"type": "string"}, "description": None}}


class TestHITLTerminationOperator:
    def test_offers_stop_and_proceed_one_at_a_time(self):
        op = HITLTerminationOperator(task_id="decide", subject="Go on?")
        assert op.options == ["Stop", "Proceed"]
        assert op.multiple is False

    @pytest.mark.parametrize(
        ("name", "value"), [("options", ["Yes", "No"]), ("multiple", True), ("multiple", False)]
    )
    def test_refuses_fixed_arguments_naming_the_task_and_the_argument(self, name, value):
        with pytest.raises(HITLDefinitionError) as excinfo:
            HITLTerminationOperator(task_id="decide", subject="Go on?", **{name: value})
        message = str(excinfo.value)
        assert message.startswith(f"HITLTerminationOperator 'decide': '{name}' is fixed")
        assert "['Stop', 'Proceed']" in message

    def test_a_default_must_be_stop_or_proceed(self):
        with pytest.raises(HITLDefinitionError, match=r"default 'Halt' is not one of \['Stop', 'Proceed'\]"):
            HITLTerminationOperator(task_id="decide", subject="Go on?", defaults="Halt")

    def test_proceed_returns_the_result_unchanged_without_touching_the_context(self):
        op = HITLTerminationOperator(task_id="decide", subject="Go on?")
        result = a_result(["Proceed"])
        expected = a_result(["Proceed"])
        assert op.process_result(UntouchableContext(), result) is result
        assert result == expected

    def test_stop_pushes_the_result_and_skips_every_downstream_task_but_teardowns(self, monkeypatch):
        class FakeTask:
            def __init__(self, task_id, is_teardown=False):
                self.task_id = task_id
                self.is_teardown = is_teardown

        class FakeDecisionTask:
            def get_flat_relatives(self, upstream):
                assert upstream is False
                return [FakeTask("publish"), FakeTask("cleanup", is_teardown=True), FakeTask("notify")]

            def get_direct_relatives(self, upstream):
                raise AssertionError("Stop skips all downstream tasks, not only the direct ones")

        skipped = []
        op = HITLTerminationOperator(task_id="decide", subject="Go on?")
        monkeypatch.setattr(op, "skip", lambda ti, tasks: skipped.append((ti, [t.task_id for t in tasks])))
        ti = RecordingTI()
        result = a_result(["Stop"])

        assert op.process_result({"ti": ti, "task": FakeDecisionTask()}, result) is result
        assert ti.log == [("xcom_push", "return_value", result)]
        assert skipped == [(ti, ["publish", "notify"])]


class TestRunningInDagTest:
    def test_true_when_the_task_talks_to_an_in_process_supervisor(self, monkeypatch):
        comms = InProcessSupervisorComms.__new__(InProcessSupervisorComms)
        monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)
        assert _running_in_dag_test() is True

    def test_false_when_the_task_talks_to_another_supervisor(self, monkeypatch):
        monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", object(), raising=False)
        assert _running_in_dag_test() is False

    def test_false_outside_any_task_runner(self, monkeypatch):
        monkeypatch.delattr(task_runner, "SUPERVISOR_COMMS", raising=False)
        assert _running_in_dag_test() is False


class TestAnswerForDagTest:
    FORM = {"count": Param(3, type="integer"), "note": Param("none", type="string")}

    def test_defaults_are_applied_at_once_as_a_timeout(self):
        op = hitl(defaults="Reject", params=self.FORM)
        result = op._answer_for_dag_test({"ti": RecordingTI()}, op.render_request())
        assert result["chosen_options"] == ["Reject"]
        assert result["params_input"] == {"count": 3, "note": "none"}
        assert result["timed_out"] is True
        assert result["responded_by_user"] is None
        assert datetime.fromisoformat(result["responded_at"]).tzinfo is not None

    def test_several_defaults_are_all_applied(self):
        op = hitl(defaults=["Approve", "Reject"], multiple=True)
        assert op._answer_for_dag_test({"ti": RecordingTI()}, op.render_request())["chosen_options"] == [
            "Approve",
            "Reject",
        ]

    def test_the_answer_goes_through_the_operators_own_handling(self):
        op = ApprovalOperator(task_id="approve", subject="Ship it?", defaults="Reject", fail_on_reject=True)
        with pytest.raises(AirflowException, match="Rejected by the deadline's default"):
            op._answer_for_dag_test({"ti": RecordingTI()}, op.render_request())

    def test_without_defaults_the_task_fails_saying_it_cannot_be_answered_here(self):
        op = hitl(task_id="nodefaults")
        with pytest.raises(HITLTimeoutError) as excinfo:
            op._answer_for_dag_test({"ti": RecordingTI()}, op.render_request())
        message = str(excinfo.value)
        assert message.startswith("HITL task 'nodefaults' cannot be answered under `airflow dags test`")
        assert "has no defaults to apply" in message

    def test_defaults_that_leave_a_required_field_empty_fail_naming_the_field(self):
        op = HITLEntryOperator(task_id="form", subject="Fill in", params={"reason": Param(type="string")})
        with pytest.raises(HITLTimeoutError, match="defaults cannot be applied: reason: a value is required"):
            op._answer_for_dag_test({"ti": RecordingTI()}, op.render_request())

    def test_execute_under_dags_test_answers_with_the_defaults_instead_of_deferring(self, in_dag_test):
        op = HITLEntryOperator(task_id="form", subject="Fill in", params={"n": Param(2, type="integer")})
        result = op.execute({"ti": RecordingTI()})
        assert result["chosen_options"] == ["OK"]
        assert result["params_input"] == {"n": 2}
        assert result["timed_out"] is True

    def test_execute_under_dags_test_without_defaults_fails_at_once(self, in_dag_test):
        with pytest.raises(HITLTimeoutError, match="cannot be answered under `airflow dags test`"):
            hitl().execute({"ti": RecordingTI()})

    def test_execute_under_dags_test_uses_the_rendered_options(self, in_dag_test):
        op = hitl(options="{{ x }}", defaults="Green")
        op.options = '["Red", "Green"]'
        assert op.execute({"ti": RecordingTI()})["chosen_options"] == ["Green"]


class TestBranchMappingChecks:
    def test_a_mapping_key_missing_from_the_rendered_options_is_refused_at_execute_time(self):
        operator = branch(options="{{ x }}", options_mapping={"Nope": "t"})
        operator.options = '["A", "B"]'
        with pytest.raises(HITLDefinitionError, match=r"options_mapping names \['Nope'\]"):
            operator.render_request()

    @pytest.mark.parametrize("target", [None, [], [""], 7])
    def test_a_mapping_target_that_is_not_a_task_id_or_list_of_them_is_refused(self, target):
        with pytest.raises(
            HITLDefinitionError, match=r"options_mapping\['A'\] must be a task or task group id"
        ):
            branch(options=["A", "B"], options_mapping={"A": target})


class TestStaleAnswerFromAnEarlierTry:
    def test_an_answer_for_an_earlier_try_makes_the_new_try_ask_again(self, monkeypatch):
        op = hitl()
        asked = []
        monkeypatch.setattr(op, "execute", lambda context: asked.append(context) or "deferred again")
        event = response_event(
            request=snapshot(),
            chosen_options=["Reject"],
            params_input={},
            responded_at=datetime(2025, 1, 1, tzinfo=UTC),
            responded_by_user={"id": "a", "name": "a"},
            channel="api",
            try_number=1,
        )
        context = {"ti": RecordingTI(try_number=2)}
        assert op.execute_complete(context, event) == "deferred again"
        assert asked == [context]

    def test_an_answer_for_this_try_is_used(self):
        op = hitl()
        event = response_event(
            request=snapshot(),
            chosen_options=["Approve"],
            params_input={},
            responded_at=datetime(2025, 1, 1, tzinfo=UTC),
            responded_by_user={"id": "a", "name": "a"},
            channel="api",
            try_number=2,
        )
        assert op.execute_complete({"ti": RecordingTI(try_number=2)}, event)["chosen_options"] == ["Approve"]


class TestSensitiveValues:
    FORM = {
        "api_key": {"value": None, "schema": {"type": "string", "format": "password"}, "description": None},
        "vendor": {"value": "acme", "schema": {"type": "string"}, "description": None},
    }
    FORM_PARAMS = {"api_key": Param(type="string", format="password"), "vendor": Param("acme", type="string")}
    SECRET = "s3cr3t-key-123"

    def event(self, chosen=("OK",)):
        return answered(snapshot(options=["OK"], params=self.FORM), list(chosen), {"api_key": self.SECRET})

    def entry(self, **overrides):
        kwargs = {"task_id": "form", "subject": "Key?", "params": self.FORM_PARAMS}
        kwargs.update(overrides)
        return HITLEntryOperator(**kwargs)

    def test_on_response_gets_the_value_as_given_and_the_task_result_the_mask(self):
        seen = []
        op = self.entry(on_response=lambda context, result: seen.append((context, result)))
        context = {"ti": RecordingTI()}
        result = op.execute_complete(context, self.event())
        assert result["params_input"] == {"api_key": "***", "vendor": "acme"}
        [(given_context, given)] = seen
        assert given_context is context
        assert given["params_input"] == {"api_key": self.SECRET, "vendor": "acme"}

    def test_expose_sensitive_values_hands_the_value_as_given_downstream(self):
        result = self.entry(expose_sensitive_values=True).execute_complete({}, self.event())
        assert result["params_input"]["api_key"] == self.SECRET

    def test_a_branch_keeps_the_mask_in_its_hitl_response_xcom(self, monkeypatch):
        op = HITLBranchOperator(task_id="route", subject="Where?", options=["OK"], params=self.FORM_PARAMS)
        monkeypatch.setattr(op, "do_branch", lambda context, ids: ids)
        ti = RecordingTI()
        op.execute_complete({"ti": ti}, self.event())
        (response,) = [value for _, key, value in ti.log if key == "hitl_response"]
        assert response["params_input"]["api_key"] == "***"

    def test_a_rejection_that_fails_the_task_keeps_the_mask_in_its_xcom(self):
        op = ApprovalOperator(
            task_id="approve", subject="Ship?", params=self.FORM_PARAMS, fail_on_reject=True
        )
        ti = RecordingTI()
        event = answered(snapshot(params=self.FORM), ["Reject"], {"api_key": self.SECRET})
        with pytest.raises(HITLRejectedError):
            op.execute_complete({"ti": ti}, event)
        [(_, key, value)] = ti.log
        assert key == "return_value" and value["params_input"]["api_key"] == "***"

    def test_the_value_is_registered_with_the_secrets_masker_before_on_response_runs(self):
        from airflow.sdk.execution_time.secrets_masker import redact

        redacted = []
        self.entry(
            on_response=lambda context, result: redacted.append(redact(f"key={self.SECRET}"))
        ).execute_complete({}, self.event())
        assert redacted == ["key=***"]

    HIDDEN = {"api_key": Param("default-key-4242", type="string", format="password", minLength=8)}

    def test_the_default_of_a_sensitive_field_never_leaves_the_worker(self):
        from airflow.exceptions import TaskDeferred
        from airflow.sdk import DAG

        with DAG("keys", schedule=None) as dag:
            op = HITLEntryOperator(task_id="form", subject="Key?", params=self.HIDDEN)
        ti = RecordingTI()
        ti.dag_id, ti.run_id, ti.task_id, ti.map_index = "keys", "r1", "form", -1
        with pytest.raises(TaskDeferred) as deferred:
            op.execute({"ti": ti, "dag": dag, "task": op})  # type: ignore[arg-type]
        kwargs = deferred.value.trigger.serialize()[1]
        assert kwargs["request"]["params"]["api_key"]["value"] == "***"
        assert "default-key-4242" not in repr(kwargs) and "default-key-4242" not in repr(ti.log)

    @pytest.mark.parametrize("kept", [{}, {"api_key": "***"}], ids=["left-out", "masked"])
    def test_an_answer_that_keeps_the_hidden_default_gets_the_real_one_back(self, kept):
        seen = []
        op = HITLEntryOperator(
            task_id="form", subject="Key?", params=self.HIDDEN, on_response=lambda c, r: seen.append(r)
        )
        sent = {"api_key": {**op.hitl_params["api_key"], "value": "***"}}
        # What the server resolves (the hidden default passes as the mask) and sends back.
        errors, resolved = validate_answer(snapshot(options=["OK"], params=sent), ["OK"], kept)
        assert not errors and resolved == {"api_key": "***"}
        result = op.execute_complete({}, answered(snapshot(options=["OK"], params=sent), ["OK"], resolved))
        assert seen[0]["params_input"] == {"api_key": "default-key-4242"}
        assert result["params_input"] == {"api_key": "***"}

    def test_the_hidden_default_applies_at_the_deadline(self):
        seen = []
        op = HITLEntryOperator(
            task_id="form",
            subject="Key?",
            options=["OK"],
            defaults="OK",
            params=self.HIDDEN,
            on_response=lambda c, r: seen.append(r),
        )
        sent = {"api_key": {**op.hitl_params["api_key"], "value": "***"}}
        op.execute_complete(
            {}, deadline_passed(snapshot(options=["OK"], params=sent), ["OK"], {"api_key": "***"})
        )
        assert seen[0]["params_input"] == {"api_key": "default-key-4242"}

    def test_a_typed_mask_for_a_field_without_a_default_is_a_value(self):
        errors, resolved = validate_answer(
            snapshot(options=["OK"], params=self.FORM), ["OK"], {"api_key": "***"}
        )
        assert not errors and resolved["api_key"] == "***"

    def test_on_response_must_be_callable(self):
        with pytest.raises(HITLDefinitionError, match=r"^HITL task 'form': on_response must be callable$"):
            self.entry(on_response="print")
