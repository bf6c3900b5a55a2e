"""The request body validates from a stored request and masks sensitive values for its reader."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from airflow.hitl.api.datamodels.hitl_details import HITLDetail, HITLDetailResponse

WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
FIELDS = {
    "api_key": {
        "value": "default-key",
        "schema": {"type": "string", "format": "password"},
        "description": None,
    },
    "vendor": {"value": "acme", "schema": {"type": "string"}, "description": None},
}


def stored_request(**overrides):
    """Stands in for the ORM row: the same attributes, no database."""
    admin = {"id": "admin", "name": "Admin"}
    columns = {
        "id": 7,
        "ti_id": "0190d6a2-0000-7000-8000-000000000001",
        "dag_id": "d",
        "run_id": "r",
        "task_id": "t",
        "map_index": -1,
        "try_number": 1,
        "closed_ti_state": None,
        "subject": "Key?",
        "body": None,
        "options": ["OK"],
        "defaults": ["OK"],
        "multiple": False,
        "params": FIELDS,
        "assigned_users": [admin],
        "assigned_groups": [],
        "created_at": WHEN,
        "deadline": None,
        "status": "responded",
        "responded_at": WHEN,
        "responded_by_id": "admin",
        "responded_by_user": admin,
        "chosen_options": ["OK"],
        "params_input": {"api_key": "s3cr3t", "vendor": "acme"},
        "response_received": True,
        "response_channel": "api",
        "override": False,
        "resumed_at": None,
        "undelivered_answer": None,
        "policy": None,
        "comment": None,
        "votes": [],
    }
    return SimpleNamespace(**{**columns, **overrides})


def test_the_task_instance_is_nested_from_the_rows_own_columns_with_its_state_now():
    body = HITLDetail.model_validate(stored_request(), context={"reader_id": "admin", "ti_state": "deferred"})
    assert body.task_instance.model_dump() == {
        "id": "0190d6a2-0000-7000-8000-000000000001",
        "dag_id": "d",
        "dag_run_id": "r",
        "task_id": "t",
        "map_index": -1,
        "try_number": 1,
        "state": "deferred",
    }


def test_without_a_task_instance_on_the_try_the_closing_state_is_shown():
    row = stored_request(closed_ti_state="failed")
    assert HITLDetail.model_validate(row, context={"ti_state": None}).task_instance.state == "failed"


def test_the_responder_reads_their_answer_and_everyone_the_mask_of_the_default():
    body = HITLDetail.model_validate(stored_request(), context={"reader_id": "admin"})
    assert body.params_input == {"api_key": "s3cr3t", "vendor": "acme"}
    assert body.params["api_key"]["value"] == "***" and body.params["vendor"]["value"] == "acme"


def test_another_reader_or_an_unnamed_one_reads_the_mask():
    for context in ({"reader_id": "viewer"}, None):
        body = HITLDetail.model_validate(stored_request(), context=context)
        assert body.params_input == {"api_key": "***", "vendor": "acme"}


def test_an_undelivered_answer_is_masked_for_all_but_who_gave_it():
    undelivered = {
        "responded_at": WHEN,
        "responded_by_user": {"id": "bob", "name": "Bob"},
        "chosen_options": ["OK"],
        "params_input": {"api_key": "b0bs-key"},
        "channel": "ui",
    }
    row = stored_request(undelivered_answer=undelivered)
    as_bob = HITLDetail.model_validate(row, context={"reader_id": "bob"}).undelivered_answer
    as_admin = HITLDetail.model_validate(row, context={"reader_id": "admin"}).undelivered_answer
    assert as_bob is not None and as_bob.params_input == {"api_key": "b0bs-key"}
    assert as_admin is not None and as_admin.params_input == {"api_key": "***"}


def test_the_row_is_not_changed_and_a_dumped_body_validates_to_the_same_body():
    row = stored_request()
    body = HITLDetail.model_validate(row, context={"reader_id": "admin", "ti_state": "success"})
    assert row.params["api_key"]["value"] == "default-key"
    # FastAPI validates the dumped body again, without a context.
    assert HITLDetail.model_validate(body.model_dump(by_alias=True)) == body


def test_the_recorded_answer_is_read_from_the_row():
    answer = HITLDetailResponse.model_validate(stored_request())
    assert answer.responded_by.id == "admin"
    assert answer.params_input == {"api_key": "s3cr3t", "vendor": "acme"}
