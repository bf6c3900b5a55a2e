"""Resume a waiting task with its recorded answer, exactly once, through core's resume path.

An answer is first recorded (``HITLRequest.status = responded``). The task is resumed with
``Trigger.submit_event`` in a transaction that holds the task instance's row lock and claims the
request (``resumed_at`` from NULL to now in a conditional UPDATE), so however many API servers try,
the event is submitted once. When the answer comes very soon after the deferral, the resume waits
until ``deferred_at + resume_settle_seconds`` (see :mod:`airflow.hitl.config`): the row keeps
``resume_due_at`` and the request lifecycle (:mod:`airflow.hitl.services.lifecycle`), running in
whichever API server holds its lease, resumes it then.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from airflow.hitl.config import get_settings
from airflow.hitl.events import response_event
from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.services.registry import close_ended_requests, same_task
from airflow.hitl.services.votes import vote_records
from airflow.models.taskinstance import TaskInstance as TI
from airflow.models.trigger import Trigger
from airflow.triggers.base import TriggerEvent
from airflow.utils import timezone
from airflow.utils.sqlalchemy import with_row_locks
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def resume_due_at(row: HITLRequest) -> datetime:
    """The earliest moment the task may be resumed (the settle time after its deferral)."""
    return row.deferred_at + timedelta(seconds=get_settings().resume_settle_seconds)


def lock_task_instance(session: Session, row: HITLRequest) -> TI | None:
    """The task instance of ``row``'s task, row-locked for the rest of the transaction."""
    query = select(TI).where(same_task(row))
    return session.scalars(with_row_locks(query, of=TI, session=session)).one_or_none()


def resume_task(session: Session, row: HITLRequest, ti: TI | None) -> bool:
    """
    Resume ``row``'s task with its recorded answer; ``ti`` must be locked by the caller.

    Returns False when another server resumed it already, or when the task no longer waits for
    this request: then the request is closed with what the task did use (the deadline's defaults,
    or nothing), and the answer is kept as undelivered.
    """
    waiting = (
        ti is not None
        and ti.state == TaskInstanceState.DEFERRED
        and ti.try_number == row.try_number
        # Not a task of the same number in a run created again under the deleted run's id.
        and str(ti.id) == row.ti_id
        and ti.trigger_id is not None
    )
    if not waiting:
        log.warning("Not resuming %r: its task no longer waits (state %s)", row, ti and ti.state)
        close_ended_requests(session, [row.id])
        return False
    claimed = session.execute(
        update(HITLRequest)
        .where(HITLRequest.id == row.id, HITLRequest.resumed_at.is_(None))
        .values(resumed_at=timezone.utcnow(), resume_due_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    assert ti is not None and row.responded_at is not None and row.responded_by_user is not None
    event = response_event(
        request=row.request_snapshot(),
        chosen_options=row.chosen_options or [],
        params_input=row.params_input or {},
        responded_at=row.responded_at,
        responded_by_user=row.responded_by_user,
        channel=row.response_channel or "api",
        try_number=row.try_number,
        comment=row.comment,
        votes=vote_records(session, row),
    )
    Trigger.submit_event(ti.trigger_id, TriggerEvent(event), session=session)
    log.info("Resumed %r with %s", row, row.chosen_options)
    return True


def resume_due_requests(session: Session, now: datetime | None = None) -> int:
    """Resume every answered request whose settle time has passed (an index range on ``resume_due_at``)."""
    now = now or timezone.utcnow()
    due_ids = session.scalars(
        select(HITLRequest.id).where(HITLRequest.resume_due_at.is_not(None), HITLRequest.resume_due_at <= now)
    ).all()
    resumed = 0
    for request_id in due_ids:
        resumed += resume_request_by_id(session, request_id)
    return resumed


def resume_request_by_id(session: Session, request_id: int) -> bool:
    """Resume one answered request's task if nobody has yet (locks its task instance first)."""
    row = session.get(HITLRequest, request_id)
    if row is None or row.resumed_at is not None or row.status != HITLStatus.RESPONDED.value:
        return False
    ti = lock_task_instance(session, row)
    session.refresh(row)
    if row.resumed_at is not None:
        return False
    return resume_task(session, row, ti)
