"""The purge export's shape: one JSON object per request, read from the row, secrets masked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from airflow.hitl.models import HITLRequest
from airflow.hitl.services.retention import ExportedRequest

PARAMS = {
    "token": {"value": "s3cret-default", "schema": {"type": "string", "format": "password"}},
    "note": {"value": "hello", "schema": {"type": "string"}},
}


def answered_row() -> HITLRequest:
    return HITLRequest(
        dag_id="release",
        run_id="r1",
        task_id="approve",
        map_index=-1,
        try_number=1,
        subject="Release?",
        body=None,
        options=["Approve", "Reject"],
        defaults=["Reject"],
        multiple=False,
        params=PARAMS,
        assigned_users=[{"id": "ann", "name": "Ann"}],
        assigned_groups=[],
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        deadline=None,
        status="responded",
        closed_ti_state=None,
        responded_at=datetime(2026, 11, 1, 1, tzinfo=UTC),
        responded_by_id="ann",
        responded_by_name="Ann",
        chosen_options=["Approve"],
        params_input={"token": "s3cret-answer", "note": "ok"},
        response_channel="ui",
        override=False,
    )


def test_an_exported_request_has_every_column_and_masks_sensitive_values():
    exported = json.loads(ExportedRequest.model_validate(answered_row()).model_dump_json())
    assert exported["responded_by_user"] == {"id": "ann", "name": "Ann"}
    assert exported["params_input"] == {"token": "***", "note": "ok"}
    assert exported["params"]["token"]["value"] == "***"
    assert exported["params"]["note"]["value"] == "hello"
    assert exported["created_at"].startswith("2026-11-01T00:00:00")
    assert "s3cret" not in json.dumps(exported)
    assert set(exported) == set(ExportedRequest.model_fields)
