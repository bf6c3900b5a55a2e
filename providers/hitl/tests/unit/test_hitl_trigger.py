"""Specification of ``HITLTrigger``: it carries the request and fires only for the deadline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from airflow.hitl.events import TRIGGER_CLASSPATH, is_timeout_event
from airflow.providers.hitl.triggers.hitl import HITLTrigger
from airflow.triggers.base import TriggerEvent

REQUEST = {
    "subject": "Ship it?",
    "body": None,
    "options": ["Approve", "Reject"],
    "defaults": ["Reject"],
    "multiple": False,
    "params": {
        "count": {"value": 3, "schema": {"type": "integer"}, "description": None},
        "reason": {"value": None, "schema": {"type": ["string", "null"]}, "description": None},
    },
    "assigned_users": [{"id": "u1", "name": "Una"}],
    "assigned_groups": ["reviewers"],
}


@pytest.fixture(autouse=True)
def no_grace(monkeypatch):
    monkeypatch.setenv("AIRFLOW__HITL__TIMEOUT_GRACE_SECONDS", "0")


def collect(trigger):
    async def run():
        return [event async for event in trigger.run()]

    return asyncio.run(asyncio.wait_for(run(), timeout=5))


class TestSerialize:
    def test_round_trips_through_its_classpath_and_kwargs(self):
        deadline = datetime(2025, 1, 1, 12, tzinfo=UTC)
        links = [
            {"digest": "ab" * 32, "action": "open", "chosen_options": None, "params_input": None, "exp": 1}
        ]
        classpath, kwargs = HITLTrigger(
            request=REQUEST, deadline=deadline, try_number=2, links=links
        ).serialize()
        assert classpath == TRIGGER_CLASSPATH
        assert kwargs == {"request": REQUEST, "deadline": deadline, "try_number": 2, "links": links}
        again = HITLTrigger(**kwargs)
        assert again.serialize() == (classpath, kwargs)

    def test_a_trigger_serialized_before_links_existed_still_loads(self):
        _, kwargs = HITLTrigger(request=REQUEST).serialize()
        del kwargs["links"]
        assert HITLTrigger(**kwargs).serialize()[1]["links"] == []

    def test_the_classpath_names_this_class(self):
        classpath, _ = HITLTrigger(request=REQUEST).serialize()
        module, _, name = classpath.rpartition(".")
        assert (module, name) == (HITLTrigger.__module__, HITLTrigger.__name__)

    def test_without_a_deadline_the_kwargs_say_so(self):
        _, kwargs = HITLTrigger(request=REQUEST).serialize()
        assert kwargs["deadline"] is None
        assert kwargs["request"] == REQUEST


class TestRunWithAPassedDeadline:
    DEADLINE = datetime.now(UTC) - timedelta(minutes=1)

    def test_yields_exactly_one_event(self):
        events = collect(HITLTrigger(request=REQUEST, deadline=self.DEADLINE))
        assert len(events) == 1
        assert isinstance(events[0], TriggerEvent)

    def test_the_event_is_a_timeout_with_the_defaults_and_the_fields_default_values(self):
        (event,) = collect(HITLTrigger(request=REQUEST, deadline=self.DEADLINE))
        payload = event.payload
        assert is_timeout_event(payload)
        assert payload["timed_out"] is True
        assert payload["chosen_options"] == ["Reject"]
        assert payload["params_input"] == {"count": 3, "reason": None}
        assert payload["responded_by_user"] is None
        assert payload["channel"] == "timeout"
        assert payload["responded_at"] == self.DEADLINE.isoformat()

    def test_the_event_carries_only_the_snapshot_an_answer_is_checked_against(self):
        (event,) = collect(HITLTrigger(request=REQUEST, deadline=self.DEADLINE))
        assert event.payload["request"] == {
            "options": ["Approve", "Reject"],
            "multiple": False,
            "params": REQUEST["params"],
        }

    def test_without_defaults_the_event_chooses_nothing(self):
        request = {**REQUEST, "defaults": None}
        (event,) = collect(HITLTrigger(request=request, deadline=self.DEADLINE))
        assert event.payload["chosen_options"] == []
        assert is_timeout_event(event.payload)


def test_the_grace_delays_firing_past_the_deadline(monkeypatch):
    monkeypatch.setenv("AIRFLOW__HITL__TIMEOUT_GRACE_SECONDS", "60")
    trigger = HITLTrigger(request=REQUEST, deadline=datetime.now(UTC) - timedelta(seconds=1))

    async def first_event():
        return await anext(aiter(trigger.run()))

    with pytest.raises(TimeoutError):
        asyncio.run(asyncio.wait_for(first_event(), timeout=0.2))


def test_without_a_deadline_nothing_is_yielded_within_0_2_seconds():
    trigger = HITLTrigger(request=REQUEST, deadline=None)

    async def first_event():
        return await anext(aiter(trigger.run()))

    with pytest.raises(TimeoutError):
        asyncio.run(asyncio.wait_for(first_event(), timeout=0.2))


def test_a_deadline_in_the_near_future_fires_once_it_has_passed():
    deadline = datetime.now(UTC) + timedelta(seconds=0.3)
    events = collect(HITLTrigger(request=REQUEST, deadline=deadline))
    # the event loop may wake a clock tick early; the trigger must not fire noticeably before
    assert datetime.now(UTC) >= deadline - timedelta(milliseconds=20)
    assert len(events) == 1
