"""Bodies of the prepared-link page's calls (``POST /hitl/links/{link}``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, computed_field

from airflow.api_fastapi.core_api.base import BaseModel, StrictBaseModel
from airflow.hitl.api.datamodels.hitl_details import HITLUser
from airflow.hitl.api.datamodels.text import Text
from airflow.hitl.policy import COMMENT_MAX_LENGTH
from airflow.hitl.prepared_links import request_view_path


class LinkRequest(BaseModel):
    """The request a valid link belongs to, as far as the page shows it (read from the row)."""

    dag_id: str
    dag_run_id: str = Field(validation_alias="run_id")
    task_id: str
    map_index: int
    try_number: int
    subject: str
    status: str
    chosen_options: list[str] | None
    responded_by: HITLUser | None = Field(validation_alias="responded_by_user")
    responded_at: datetime | None

    @computed_field(description="Path of the request's view in the Required Actions app")  # type: ignore[prop-decorator]
    @property
    def view(self) -> str:
        return request_view_path(self.dag_id, self.dag_run_id, self.task_id, self.map_index)


class LinkOutcome(BaseModel):
    """What opening or using a link came to; the page shows ``title`` and ``message`` as text."""

    outcome: Literal["opened", "answered", "confirm", "refused", "not_ready"]
    title: str
    message: str
    redirect: str | None = Field(None, description="Path to go to (open links)")
    request: LinkRequest | None = None
    comment_required: bool = Field(
        default=False, description="confirm: the answer needs a comment, sent with the confirmation"
    )


class LinkConfirmation(StrictBaseModel):
    """The click that lets a link sent to a group (made for nobody) answer."""

    confirm: bool = Field(False, description="Answer now; without it such a link only asks")
    comment: Text | None = Field(
        default=None, max_length=COMMENT_MAX_LENGTH, description="Why this answer (required for some options)"
    )
