"""Metrics through Airflow's ``Stats`` (StatsD or OpenTelemetry, as Airflow is configured).

| metric | kind | tags |
|---|---|---|
| ``hitl.requests_created`` | counter | ``dag_id`` |
| ``hitl.responses`` | counter | ``dag_id``, ``channel`` (``api``, ``ui``, ``cli``, ``link``) |
| ``hitl.time_to_response`` | timer | ``dag_id`` (from the request appearing to the answer) |
| ``hitl.timeouts`` | counter | ``dag_id`` |
| ``hitl.cancelled`` | counter | ``dag_id`` |
| ``hitl.pending`` | gauge | (all DAGs; sent whenever requests are created, answered or closed) |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.stats import Stats

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def request_created(row: HITLRequest) -> None:
    Stats.incr("hitl.requests_created", tags={"dag_id": row.dag_id})


def request_answered(row: HITLRequest) -> None:
    Stats.incr("hitl.responses", tags={"dag_id": row.dag_id, "channel": row.response_channel or ""})
    if row.responded_at is not None:
        Stats.timing("hitl.time_to_response", row.responded_at - row.created_at, tags={"dag_id": row.dag_id})


def request_closed(row: HITLRequest) -> None:
    name = "hitl.timeouts" if row.status == HITLStatus.TIMED_OUT.value else "hitl.cancelled"
    Stats.incr(name, tags={"dag_id": row.dag_id})


def pending_gauge(session: Session) -> None:
    pending = session.scalar(
        select(func.count()).select_from(HITLRequest).where(HITLRequest.status == HITLStatus.PENDING.value)
    )
    Stats.gauge("hitl.pending", pending or 0)
