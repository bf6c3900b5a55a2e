"""Database models of the human-in-the-loop feature."""

from __future__ import annotations

from airflow.hitl.models.base import Base, metadata
from airflow.hitl.models.hitl_detail import (
    HITLAssignee,
    HITLDetail,
    HITLGroup,
    HITLGroupMember,
    HITLLease,
    HITLLinkToken,
    HITLStatus,
    ResponseChannel,
)

__all__ = [
    "Base",
    "HITLAssignee",
    "HITLDetail",
    "HITLGroup",
    "HITLGroupMember",
    "HITLLease",
    "HITLLinkToken",
    "HITLStatus",
    "ResponseChannel",
    "metadata",
]
