"""Retention: requests of deleted DAG runs go, answered requests older than an age are purged."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, model_validator
from sqlalchemy import delete, exists, select

from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.request import mask_param_defaults, mask_params
from airflow.hitl.services import metrics
from airflow.models.dagrun import DagRun
from airflow.utils import timezone

if TYPE_CHECKING:
    from datetime import timedelta

    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

BATCH = 1000


@dataclass
class PurgeResult:
    """How many requests were (or, in a dry run, would be) removed, and why."""

    orphaned: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.orphaned + self.expired


class ExportedRequest(BaseModel):
    """
    A purged request as one JSON object of the export (read from the row: ``from_attributes``).
    Sensitive form values are masked in the one step before validation: their defaults in
    ``params`` and their answers in ``params_input``.
    """

    model_config = ConfigDict(from_attributes=True)

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    subject: str
    body: str | None
    options: list[str]
    defaults: list[str] | None
    multiple: bool
    params: dict[str, Any]
    assigned_users: list[dict[str, Any]]
    assigned_groups: list[str]
    created_at: datetime
    deadline: datetime | None
    status: str
    closed_ti_state: str | None
    responded_at: datetime | None
    responded_by_user: dict[str, Any] | None
    chosen_options: list[str] | None
    params_input: dict[str, Any] | None
    response_channel: str | None
    override: bool | None

    @model_validator(mode="before")
    @classmethod
    def _masked(cls, row: Any) -> Any:
        if isinstance(row, HITLRequest):
            fields = {name: getattr(row, name) for name in cls.model_fields}
            fields["params"] = mask_param_defaults(row.params or {})
            fields["params_input"] = mask_params(row.params or {}, row.params_input)
            return fields
        return row


def purge_requests(
    session: Session,
    *,
    older_than: timedelta | None,
    export: IO[str] | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeResult:
    """
    Remove requests whose DAG run no longer exists, and (with ``older_than``) requests that are no
    longer pending and were created before ``now - older_than``. Pending requests of existing runs
    are never removed. With ``export``, every removed request is first written as a JSON line.
    """
    result = PurgeResult()
    result.orphaned = _purge(session, run_gone(), export, dry_run)
    if older_than is not None:
        cutoff = (now or timezone.utcnow()) - older_than
        old = (HITLRequest.created_at < cutoff) & (HITLRequest.status != HITLStatus.PENDING.value)
        result.expired = _purge(session, old, export, dry_run)
    return result


def remove_requests_of_deleted_runs(session: Session) -> int:
    """
    Remove the requests whose DAG run no longer exists (deleted, or its DAG deleted), as Airflow
    removed the run's task instances; the answers stay in the audit log. One statement, committed
    with the caller's transaction.
    """
    removed = session.execute(
        delete(HITLRequest).where(run_gone()).execution_options(synchronize_session=False)
    ).rowcount
    if removed:
        log.info("Removed %d requests of deleted DAG runs", removed)
        metrics.pending_gauge(session)
    return removed


def run_gone() -> Any:
    """SQL condition: the request's DAG run no longer exists."""
    return ~exists().where(DagRun.dag_id == HITLRequest.dag_id, DagRun.run_id == HITLRequest.run_id)


def _purge(session: Session, condition: Any, export: IO[str] | None, dry_run: bool) -> int:
    removed = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(HITLRequest)
            .where(condition, HITLRequest.id > last_id)
            .order_by(HITLRequest.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return removed
        last_id = rows[-1].id
        if export is not None:
            for row in rows:
                export.write(ExportedRequest.model_validate(row).model_dump_json() + "\n")
        removed += len(rows)
        if not dry_run:
            session.execute(
                delete(HITLRequest)
                .where(HITLRequest.id.in_([r.id for r in rows]))
                .execution_options(synchronize_session=False)
            )
            session.commit()
