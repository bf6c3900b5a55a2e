"""The export to Airflow 3.1+'s hitl_detail: where each request goes and how its columns map.

The export against a real upgraded database is ``tests/compat/test_export_builtin.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.hitl.services.export_builtin import (
    TARGET,
    TARGET_HISTORY,
    Reason,
    builtin_row,
    canonical_id,
    decide,
)

TI = "0199a1b2-0000-7000-8000-000000000001"
EARLIER_TI = "0199a1b2-0000-7000-8000-000000000002"


def request(**changes: Any) -> dict[str, Any]:
    row = {
        "id": 1,
        "ti_id": TI,
        "dag_id": "release",
        "run_id": "r1",
        "task_id": "approve",
        "map_index": -1,
        "try_number": 2,
        "subject": "Release?",
        "body": "Checks passed.",
        "options": ["Approve", "Reject"],
        "defaults": ["Reject"],
        "multiple": 0,
        "params": {
            "token": {
                "value": "***",
                "schema": {"type": "string", "format": "password"},
                "description": None,
            },
            "note": {"value": "hi", "schema": {"type": "string"}, "description": "A note"},
        },
        "assigned_users": [{"id": "ann", "name": "Ann"}],
        "assigned_groups": [],
        "created_at": datetime(2026, 11, 1, tzinfo=UTC),
        "status": "responded",
        "responded_at": datetime(2026, 11, 1, 1, tzinfo=UTC),
        "responded_by_id": "ann",
        "responded_by_name": "Ann",
        "chosen_options": ["Approve"],
        "params_input": {"token": "s3cret", "note": "ok"},
        "resumed_at": datetime(2026, 11, 1, 1, tzinfo=UTC),
        "undelivered_answer": None,
    }
    row.update(changes)
    return row


def where(
    row: dict[str, Any],
    *,
    include_pending: bool = False,
    present: set[str] | None = None,
    history: dict[str, int] | None = None,
):
    return decide(
        row,
        current={TI: 2},
        history={EARLIER_TI: 1} if history is None else history,
        present={TARGET: present or set(), TARGET_HISTORY: set()},
        include_pending=include_pending,
    )


def test_answered_request_of_the_current_try_goes_to_hitl_detail_without_losses():
    decision = where(request())
    assert decision.target == TARGET
    assert decision.losses == ()


def test_earlier_try_goes_to_the_history_table_and_is_skipped_without_one():
    earlier = request(ti_id=EARLIER_TI, try_number=1)
    assert where(earlier).target == TARGET_HISTORY
    no_history = decide(
        earlier, current={TI: 2}, history=None, present={TARGET: set()}, include_pending=False
    )
    assert no_history.target is None
    assert no_history.skipped == Reason.NO_HISTORY_TABLE


def test_pending_and_undelivered_answers_are_skipped_unless_asked_for():
    pending = request(
        status="pending", responded_at=None, responded_by_id=None, chosen_options=None, resumed_at=None
    )
    assert where(pending).skipped == Reason.WAITING
    assert where(pending, include_pending=True).target == TARGET
    not_resumed = request(resumed_at=None)
    assert where(not_resumed).skipped == Reason.NOT_DELIVERED


def test_a_try_whose_id_now_names_another_try_is_not_copied():
    assert where(request(try_number=1)).skipped == Reason.NO_TRY
    assert where(request(ti_id="gone")).skipped == Reason.NO_TRY


def test_a_second_run_copies_nothing_twice():
    assert where(request(), present={TI}).skipped == Reason.PRESENT


def test_groups_undelivered_answers_and_cancellations_are_reported_as_losses():
    decision = where(request(assigned_groups=["finance"], undelivered_answer={"chosen_options": ["Approve"]}))
    assert decision.losses == (Reason.GROUPS, Reason.UNDELIVERED)
    assert where(request(status="cancelled")).losses == (Reason.CANCELLED,)


def test_columns_map_to_the_builtin_shapes_with_sensitive_answers_masked():
    row = builtin_row(request())
    assert row["params"]["note"] == {
        "source": "task",
        "value": "hi",
        "schema": {"type": "string"},
        "description": "A note",
    }
    assert row["params_input"] == {"token": "***", "note": "ok"}
    assert row["responded_by"] == {"id": "ann", "name": "Ann"}
    assert row["assignees"] == [{"id": "ann", "name": "Ann"}]
    assert row["multiple"] is False


def test_a_timeout_has_no_responder_and_an_unanswered_request_no_answer():
    timed_out = builtin_row(
        request(status="timed_out", responded_by_id=None, responded_by_name=None, chosen_options=["Reject"])
    )
    assert timed_out["responded_by"] is None
    assert timed_out["chosen_options"] == ["Reject"]
    assert timed_out["responded_at"] is not None
    cancelled = builtin_row(
        request(
            status="cancelled",
            responded_at=None,
            responded_by_id=None,
            chosen_options=None,
            params_input=None,
        )
    )
    assert (cancelled["responded_at"], cancelled["chosen_options"], cancelled["params_input"]) == (
        None,
        None,
        {},
    )


def test_task_instance_ids_match_however_airflow_stores_them():
    assert canonical_id(TI.replace("-", "")) == TI
    assert canonical_id(TI.upper()) == TI
