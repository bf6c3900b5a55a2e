"""Specification of ``airflow.hitl.events``: the resume events a waiting HITL task receives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airflow.hitl.events import (
    KIND_RESPONSE,
    KIND_TIMEOUT,
    TRIGGER_CLASSPATH,
    is_timeout_event,
    response_event,
    timeout_event,
)

SNAPSHOT = {"options": ["Approve", "Reject"], "multiple": False, "params": {}}
WHEN = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def a_response(**overrides):
    kwargs = {
        "request": SNAPSHOT,
        "chosen_options": ("Approve",),
        "params_input": {"note": "ok"},
        "responded_at": WHEN,
        "responded_by_user": {"id": "u1", "name": "Una"},
        "channel": "ui",
    }
    kwargs.update(overrides)
    return response_event(**kwargs)


def a_timeout(**overrides):
    kwargs = {"request": SNAPSHOT, "chosen_options": ["Reject"], "params_input": {}, "deadline": WHEN}
    kwargs.update(overrides)
    return timeout_event(**kwargs)


def test_the_trigger_classpath_is_the_providers_hitl_trigger():
    assert TRIGGER_CLASSPATH == "airflow.providers.hitl.triggers.hitl.HITLTrigger"


class TestResponseEvent:
    def test_carries_the_answer_who_gave_it_when_and_how(self):
        assert a_response() == {
            "kind": "response",
            "try_number": None,
            "timed_out": False,
            "chosen_options": ["Approve"],
            "params_input": {"note": "ok"},
            "responded_at": "2025-01-02T03:04:05+00:00",
            "responded_by_user": {"id": "u1", "name": "Una"},
            "channel": "ui",
            "comment": None,
            "votes": [],
            "request": SNAPSHOT,
        }

    def test_is_of_the_response_kind(self):
        assert a_response()["kind"] == KIND_RESPONSE

    def test_copies_its_inputs_so_later_changes_do_not_leak_in(self):
        chosen = ["Approve"]
        params_input = {"note": "ok"}
        user = {"id": "u1", "name": "Una"}
        request = dict(SNAPSHOT)
        event = a_response(
            chosen_options=chosen, params_input=params_input, responded_by_user=user, request=request
        )
        chosen.append("Reject")
        params_input["note"] = "changed"
        user["name"] = "Other"
        request["options"] = []
        assert event["chosen_options"] == ["Approve"]
        assert event["params_input"] == {"note": "ok"}
        assert event["responded_by_user"]["name"] == "Una"
        assert event["request"]["options"] == ["Approve", "Reject"]


class TestTimeoutEvent:
    def test_carries_the_defaults_at_the_deadline_without_a_responder(self):
        assert a_timeout(params_input={"count": 3}) == {
            "kind": "timeout",
            "try_number": None,
            "timed_out": True,
            "chosen_options": ["Reject"],
            "params_input": {"count": 3},
            "responded_at": "2025-01-02T03:04:05+00:00",
            "responded_by_user": None,
            "channel": "timeout",
            "comment": None,
            "request": SNAPSHOT,
        }

    def test_without_defaults_no_option_is_chosen(self):
        assert a_timeout(chosen_options=[])["chosen_options"] == []

    def test_is_of_the_timeout_kind(self):
        assert a_timeout()["kind"] == KIND_TIMEOUT


class TestIsTimeoutEvent:
    def test_a_timeout_event_is_one(self):
        assert is_timeout_event(a_timeout()) is True

    def test_a_response_event_is_not_one(self):
        assert is_timeout_event(a_response()) is False

    def test_a_response_that_merely_says_timed_out_is_not_one(self):
        assert is_timeout_event({**a_response(), "timed_out": True}) is False

    @pytest.mark.parametrize("payload", [None, "timeout", ["kind", "timeout"], {}, {"kind": "other"}, 42])
    def test_anything_else_is_not_one(self, payload):
        assert is_timeout_event(payload) is False
