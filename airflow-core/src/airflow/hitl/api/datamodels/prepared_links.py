"""Bodies of the prepared-link page's calls (``POST /hitl/links/{link}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from airflow.api_fastapi.core_api.base import BaseModel
from airflow.hitl.api.datamodels.hitl_details import HITLUser


class LinkRequest(BaseModel):
    """The request a valid link belongs to, as far as the page shows it."""

    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    try_number: int
    subject: str
    status: str
    chosen_options: list[str] | None
    responded_by: HITLUser | None
    responded_at: datetime | None
    view: str = Field(description="Path of the request's view in the Required Actions app")


class LinkOutcome(BaseModel):
    """What opening or using a link came to; the page shows ``title`` and ``message`` as text."""

    outcome: Literal["opened", "answered", "refused", "not_ready"]
    title: str
    message: str
    redirect: str | None = Field(None, description="Path to go to (open links)")
    request: LinkRequest | None = None
