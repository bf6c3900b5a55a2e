"""The OpenAPI document the web UI's client is generated from is the one the API server serves."""

from __future__ import annotations

import json
from pathlib import Path

from airflow.hitl.api.app import create_api_app

COMMITTED = Path(__file__).resolve().parents[3] / "ui" / "openapi" / "openapi.json"


def test_the_ui_client_is_generated_from_the_current_api() -> None:
    served = json.loads(json.dumps(create_api_app().openapi()))
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert committed == served, (
        "ui/openapi/openapi.json is out of date: run `npm --prefix ui run codegen` and commit the result"
    )
