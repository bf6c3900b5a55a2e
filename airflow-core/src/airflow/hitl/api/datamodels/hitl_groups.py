"""Request and response bodies of the responder group routes (``/api/v2/hitl/groups``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from airflow.api_fastapi.core_api.base import BaseModel, StrictBaseModel
from airflow.hitl.api.datamodels.text import Text
from airflow.hitl.request import PRINCIPAL_MAX_LENGTH, PRINCIPAL_PATTERNS, principal_rule


def _published(kind: str) -> Any:
    """The principal rule for ``kind`` as the document publishes it (checked with its messages)."""
    return Field(
        json_schema_extra={
            "minLength": 1,
            "maxLength": PRINCIPAL_MAX_LENGTH,
            "pattern": PRINCIPAL_PATTERNS[kind],
        }
    )


GroupName = Annotated[Text, AfterValidator(principal_rule("group")), _published("group")]
UserId = Annotated[Text, AfterValidator(principal_rule("user")), _published("user")]
RoleName = Annotated[Text, Field(min_length=1, max_length=PRINCIPAL_MAX_LENGTH)]


class HITLGroupBody(StrictBaseModel):
    """A new responder group."""

    name: GroupName = Field(
        description=(
            "1 to 250 characters, no '/', '?', '#' or control characters, no leading or trailing "
            "blanks, not '.' or '..'"
        )
    )
    description: Text | None = None
    follows_role: RoleName | None = Field(
        default=None, description="Members are also the users holding this auth-manager role"
    )
    members: list[UserId] = Field(default_factory=list, description="User ids (as the auth manager has them)")


class HITLGroupPatchBody(StrictBaseModel):
    """Changes to a responder group; fields left out stay as they are."""

    description: Text | None = None
    follows_role: RoleName | None = None


class HITLGroupResponse(BaseModel):
    """A responder group and its members."""

    name: str
    description: str | None
    follows_role: str | None
    members: list[str]
    created_at: datetime


class HITLGroupCollection(BaseModel):
    groups: list[HITLGroupResponse]
    total_entries: int
