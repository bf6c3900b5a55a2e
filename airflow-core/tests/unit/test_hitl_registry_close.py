"""Specification of ``registry.close_request``: how a pending request ends when its task stops waiting."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airflow.hitl.events import response_event, timeout_event
from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.services.registry import close_request
from airflow.utils.state import TaskInstanceState

DEADLINE = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
SNAPSHOT = {"options": ["Approve", "Reject"], "multiple": False, "params": {}}


def pending_request():
    return HITLRequest(
        dag_id="d",
        run_id="r",
        task_id="t",
        map_index=-1,
        try_number=1,
        subject="Ship it?",
        options=["Approve", "Reject"],
        defaults=["Reject"],
        multiple=False,
        params={},
        status=HITLStatus.PENDING.value,
    )


def a_timeout(chosen=("Reject",), params_input=None):
    return timeout_event(
        request=SNAPSHOT, chosen_options=list(chosen), params_input=params_input or {}, deadline=DEADLINE
    )


class TestTimedOut:
    def test_a_timeout_event_in_next_kwargs_times_the_request_out_with_the_defaults(self):
        row = pending_request()
        close_request(row, TaskInstanceState.SCHEDULED, {"event": a_timeout(params_input={"n": 3})})
        assert row.status == "timed_out"
        assert row.chosen_options == ["Reject"]
        assert row.params_input == {"n": 3}
        assert row.response_channel == "timeout"

    def test_the_deadline_becomes_the_response_time(self):
        row = pending_request()
        close_request(row, TaskInstanceState.SCHEDULED, {"event": a_timeout()})
        assert row.responded_at == DEADLINE

    def test_a_timeout_without_defaults_is_still_timed_out_with_nothing_chosen(self):
        row = pending_request()
        close_request(row, TaskInstanceState.FAILED, {"event": a_timeout(chosen=())})
        assert row.status == "timed_out"
        assert row.chosen_options == []

    def test_a_timed_out_request_has_no_responder_and_no_closing_state(self):
        row = pending_request()
        close_request(row, TaskInstanceState.SUCCESS, {"event": a_timeout()})
        assert row.responded_by_user is None
        assert row.closed_ti_state is None

    def test_other_resume_kwargs_next_to_the_event_do_not_matter(self):
        row = pending_request()
        close_request(row, None, {"event": a_timeout(), "something": "else"})
        assert row.status == "timed_out"


class TestCancelled:
    @pytest.mark.parametrize(
        ("ti_state", "expected"),
        [
            (TaskInstanceState.SUCCESS, "success"),
            (TaskInstanceState.FAILED, "failed"),
            (TaskInstanceState.SKIPPED, "skipped"),
            ("up_for_retry", "up_for_retry"),
        ],
    )
    def test_without_a_timeout_event_the_request_is_cancelled_with_the_task_state(self, ti_state, expected):
        row = pending_request()
        close_request(row, ti_state, None)
        assert row.status == "cancelled"
        assert row.closed_ti_state == expected

    def test_a_task_instance_without_state_counts_as_removed(self):
        row = pending_request()
        close_request(row, None, None)
        assert row.status == "cancelled"
        assert row.closed_ti_state == "removed"

    @pytest.mark.parametrize(
        "next_kwargs",
        [
            None,
            {},
            {"event": None},
            {"event": {"kind": "other"}},
            {"other": a_timeout()},
        ],
    )
    def test_resume_kwargs_without_a_timeout_event_cancel(self, next_kwargs):
        row = pending_request()
        close_request(row, TaskInstanceState.SUCCESS, next_kwargs)
        assert row.status == "cancelled"

    def test_a_response_event_in_next_kwargs_cancels_rather_than_answers(self):
        event = response_event(
            request=SNAPSHOT,
            chosen_options=["Approve"],
            params_input={},
            responded_at=DEADLINE,
            responded_by_user={"id": "u", "name": "U"},
            channel="api",
        )
        row = pending_request()
        close_request(row, TaskInstanceState.SUCCESS, {"event": event})
        assert row.status == "cancelled"
        assert row.closed_ti_state == "success"

    def test_a_cancelled_request_records_no_answer(self):
        row = pending_request()
        close_request(row, TaskInstanceState.SUCCESS, None)
        assert row.responded_at is None
        assert row.chosen_options is None
        assert row.params_input is None
        assert row.response_channel is None


def answered_not_resumed():
    row = pending_request()
    row.status = HITLStatus.RESPONDED.value
    row.responded_at = datetime(2025, 6, 1, 11, 59, 58, tzinfo=UTC)
    row.responded_by_id, row.responded_by_name = "alice", "Alice"
    row.chosen_options = ["Approve"]
    row.params_input = {}
    row.response_channel = "ui"
    row.override = False
    return row


class TestAnswerTheTaskNeverGot:
    """An answer recorded in the settle window whose resume did not happen before the task moved on."""

    def test_the_deadline_won_so_the_record_says_timed_out_with_the_defaults(self):
        row = answered_not_resumed()
        close_request(row, TaskInstanceState.SUCCESS, {"event": a_timeout()})
        assert row.status == "timed_out"
        assert row.chosen_options == ["Reject"]
        assert row.response_channel == "timeout"
        assert row.responded_by_user is None

    def test_the_answer_is_kept_as_undelivered(self):
        row = answered_not_resumed()
        close_request(row, TaskInstanceState.SUCCESS, {"event": a_timeout()})
        assert row.undelivered_answer == {
            "responded_at": "2025-06-01T11:59:58+00:00",
            "responded_by_user": {"id": "alice", "name": "Alice"},
            "chosen_options": ["Approve"],
            "params_input": {},
            "channel": "ui",
            "override": False,
            "comment": None,
        }

    def test_a_task_marked_before_the_resume_cancels_and_keeps_the_answer_as_undelivered(self):
        row = answered_not_resumed()
        close_request(row, TaskInstanceState.FAILED, None)
        assert row.status == "cancelled"
        assert row.closed_ti_state == "failed"
        assert row.chosen_options is None
        assert row.undelivered_answer["chosen_options"] == ["Approve"]

    def test_a_pending_request_that_ends_has_no_undelivered_answer(self):
        row = pending_request()
        close_request(row, TaskInstanceState.SUCCESS, {"event": a_timeout()})
        assert row.undelivered_answer is None
