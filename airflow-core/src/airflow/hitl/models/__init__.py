"""Database models of the human-in-the-loop feature."""

from __future__ import annotations

from airflow.hitl.models.base import Base, metadata
from airflow.hitl.models.hitl_request import (
    HITLAssignee,
    HITLGroup,
    HITLGroupMember,
    HITLLease,
    HITLLinkToken,
    HITLRequest,
    HITLStatus,
    HITLVote,
    ResponseChannel,
)

__all__ = [
    "Base",
    "HITLAssignee",
    "HITLGroup",
    "HITLGroupMember",
    "HITLLease",
    "HITLLinkToken",
    "HITLRequest",
    "HITLStatus",
    "HITLVote",
    "ResponseChannel",
    "metadata",
]
