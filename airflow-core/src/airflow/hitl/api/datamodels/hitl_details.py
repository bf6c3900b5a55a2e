"""Request and response bodies of the HITL REST API (shapes compatible with Airflow 3.1+)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from airflow.api_fastapi.core_api.base import BaseModel, StrictBaseModel
from airflow.hitl.api.datamodels.text import NoNulJSON, Text


class HITLUser(BaseModel):
    """A user as the auth manager identifies them."""

    id: str
    name: str


class HITLTaskInstance(BaseModel):
    """The task instance try a request belongs to."""

    id: str
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    try_number: int
    state: str | None = Field(description="The task instance's state now (for this try)")


class HITLUndeliveredAnswer(BaseModel):
    """A person's answer that was recorded but never reached the task: no API server resumed the
    task before its deadline (the defaults applied), or the task was marked or cleared first."""

    responded_at: datetime | None
    responded_by_user: HITLUser | None
    chosen_options: list[str] | None
    params_input: dict[str, Any] | None
    channel: str | None
    override: bool = False


class HITLDetail(BaseModel):
    """A human-in-the-loop request and, once given, its answer."""

    task_instance: HITLTaskInstance
    subject: str
    body: str | None
    options: list[str]
    defaults: list[str] | None
    multiple: bool
    params: dict[str, Any] = Field(description="Form fields: {name: {value, schema, description}}")
    assigned_users: list[HITLUser]
    assigned_groups: list[str]
    created_at: datetime
    deadline: datetime | None
    status: str = Field(description="pending, responded, timed_out or cancelled")
    closed_ti_state: str | None = Field(description="Task state when the request was cancelled")
    responded_at: datetime | None
    responded_by_user: HITLUser | None
    chosen_options: list[str] | None
    params_input: dict[str, Any] | None
    response_received: bool
    response_channel: str | None
    override: bool = Field(description="An admin answered a request assigned to others")
    resumed_at: datetime | None = Field(description="When the answer was handed to the task")
    undelivered_answer: HITLUndeliveredAnswer | None = Field(
        default=None,
        description="An answer that was recorded but never reached the task (status then says what "
        "the task used: timed_out with the defaults, or cancelled)",
    )
    can_respond: bool | None = Field(
        default=None, description="Whether the calling user may answer now (single-request reads only)"
    )
    respond_as_override: bool | None = Field(
        default=None, description="The calling user's answer would be an admin override (single reads only)"
    )
    cannot_respond_reason: str | None = Field(
        default=None, description="Why the calling user cannot answer (single-request reads only)"
    )


class HITLDetailCollection(BaseModel):
    """A page of requests and the number of all that match."""

    hitl_details: list[HITLDetail]
    total_entries: int


class UpdateHITLDetailPayload(StrictBaseModel):
    """An answer: the chosen option(s) and the form values."""

    chosen_options: list[Text] = Field(min_length=1)
    params_input: Annotated[dict[str, Any], NoNulJSON] = Field(default_factory=dict)


class HITLDetailResponse(BaseModel):
    """The recorded answer."""

    responded_by: HITLUser
    responded_at: datetime
    chosen_options: list[str]
    params_input: dict[str, Any]
