"""Response body of the inbox counts (``/api/v2/hitl/counts``)."""

from __future__ import annotations

from airflow.api_fastapi.core_api.base import BaseModel


class HITLCounts(BaseModel):
    """Requests per status, and those pending for the caller (directly or through groups)."""

    pending: int
    responded: int
    timed_out: int
    cancelled: int
    pending_for_me: int
