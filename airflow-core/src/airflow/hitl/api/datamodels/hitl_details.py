"""Request and response bodies of the HITL REST API (shapes compatible with Airflow 3.1+).

The bodies validate from a stored request (``HITLDetail.model_validate(row, context=...)`` with
the ORM model of :mod:`airflow.hitl.models` and a :class:`ReaderContext`); sensitive form values
are masked in one step, by :class:`RequestForReader`, for the reader the context names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, TypedDict

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator

from airflow.api_fastapi.core_api.base import BaseModel, StrictBaseModel
from airflow.hitl.api.datamodels.text import NoNulJSON, Text
from airflow.hitl.request import mask_param_defaults, mask_params


class ReaderContext(TypedDict, total=False):
    """The validation context of a request body: who reads it, and its task instance's state now."""

    reader_id: str
    ti_state: str | None


class HITLUser(BaseModel):
    """A user as the auth manager identifies them."""

    id: str
    name: str


class HITLTaskInstance(BaseModel):
    """The task instance try a request belongs to."""

    id: str = Field(validation_alias=AliasChoices("ti_id", "id"))
    dag_id: str
    dag_run_id: str = Field(validation_alias=AliasChoices("run_id", "dag_run_id"))
    task_id: str
    map_index: int
    try_number: int
    state: str | None = Field(
        validation_alias=AliasChoices("closed_ti_state", "state"),
        description="The task instance's state now (for this try)",
    )

    @field_validator("state", mode="before")
    @classmethod
    def _state_now(cls, value: Any, info: ValidationInfo) -> Any:
        """The task instance's state when the reader found it on this try, else the closing state."""
        ti_state = (info.context or {}).get("ti_state")
        return str(ti_state) if ti_state else value


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

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any, info: ValidationInfo) -> Any:
        """A stored request is read as its reader (the context's ``reader_id``) may see it."""
        if isinstance(data, Mapping):
            return data
        return RequestForReader(data, (info.context or {}).get("reader_id"))


class RequestForReader:
    """
    A stored request (an ORM row) as one reader may see it, read by attribute like the row.

    The one step that masks sensitive form values: their defaults for everyone, answers for all
    but who gave them (all of them when ``reader_id`` is None). It also nests the task instance's
    columns, which the row holds itself, as ``task_instance``.
    """

    def __init__(self, row: Any, reader_id: str | None) -> None:
        self._row = row
        fields = row.params or {}
        self.task_instance = row
        self.params = mask_param_defaults(fields)
        self.params_input = (
            row.params_input if row.responded_by_id == reader_id else mask_params(fields, row.params_input)
        )
        undelivered = dict(row.undelivered_answer) if row.undelivered_answer else None
        if undelivered and (undelivered.get("responded_by_user") or {}).get("id") != reader_id:
            undelivered["params_input"] = mask_params(fields, undelivered.get("params_input"))
        self.undelivered_answer = undelivered

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


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

    responded_by: HITLUser = Field(validation_alias=AliasChoices("responded_by", "responded_by_user"))
    responded_at: datetime
    chosen_options: list[str]
    params_input: dict[str, Any]
