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
from airflow.hitl.policy import COMMENT_MAX_LENGTH, policy_of
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
    comment: str | None = None


class HITLPolicy(BaseModel):
    """The rules an answer follows besides the options and the form (set by the operator)."""

    require_comment_on: list[str] = Field(description="Options that may be chosen only with a comment")
    allow_self_approval: bool = Field(description="Whether the user who triggered the DAG run may answer")
    excluded_users: list[str] = Field(description="User ids or names who may not answer")
    required_votes: dict[str, int] = Field(
        description="Distinct votes an option needs to win (a quorum); options not named need one"
    )


class HITLVote(BaseModel):
    """One person's vote on a request that needs a quorum."""

    user: HITLUser
    chosen_options: list[str]
    params_input: dict[str, Any] | None
    comment: str | None
    channel: str
    override: bool
    voted_at: datetime


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
    comment: str | None = Field(default=None, description="The reason given with the answer")
    policy: HITLPolicy = Field(description="What answers need (comments, votes) and who may not give them")
    votes: list[HITLVote] = Field(
        default_factory=list, description="The votes so far (requests that need a quorum), oldest first"
    )
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
        self.policy = policy_of({"policy": row.policy})
        self.votes = [
            {
                **vote,
                "params_input": vote["params_input"]
                if vote["user"]["id"] == reader_id
                else mask_params(fields, vote["params_input"]),
            }
            for vote in (v.record() for v in row.votes)
        ]
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
    """An answer: the chosen option(s), the form values and an optional comment (the reason)."""

    chosen_options: list[Text] = Field(min_length=1)
    params_input: Annotated[dict[str, Any], NoNulJSON] = Field(default_factory=dict)
    comment: Text | None = Field(
        default=None,
        max_length=COMMENT_MAX_LENGTH,
        description="Why this answer; required for the options in the request's policy.require_comment_on",
    )


class HITLDetailResponse(BaseModel):
    """The recorded answer (or, on a request that needs a quorum, the recorded vote)."""

    responded_by: HITLUser = Field(validation_alias=AliasChoices("responded_by", "responded_by_user"))
    responded_at: datetime
    chosen_options: list[str]
    params_input: dict[str, Any]
    comment: str | None = None
    status: str = Field(
        default="responded",
        description="The request's status after this answer: responded, or pending while a quorum "
        "waits for more votes",
    )
    votes: list[HITLVote] = Field(default_factory=list, description="The votes so far (quorum requests)")
