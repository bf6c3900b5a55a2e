"""Resume a waiting task with its recorded answer, exactly once, through core's resume path.

An answer is first recorded (``HITLDetail.status = responded``). The task is resumed with
``Trigger.submit_event`` in a transaction that holds the task instance's row lock and claims the
request (``resumed_at`` from NULL to now in a conditional UPDATE), so however many API servers try,
the event is submitted once. When the answer comes very soon after the deferral, the resume waits
until ``deferred_at + resume_settle_seconds`` (see :mod:`airflow.hitl.config`): the row keeps
``resume_due_at`` and :class:`ResumeScheduler` (or, after a crash, any API server's next read)
resumes it then.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from airflow.hitl.config import get_settings
from airflow.hitl.events import response_event
from airflow.hitl.models import HITLDetail, HITLStatus
from airflow.hitl.services.registry import same_task
from airflow.models.taskinstance import TaskInstance as TI
from airflow.models.trigger import Trigger
from airflow.triggers.base import TriggerEvent
from airflow.utils import timezone
from airflow.utils.session import create_session
from airflow.utils.sqlalchemy import with_row_locks
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def resume_due_at(row: HITLDetail) -> datetime:
    """The earliest moment the task may be resumed (the settle time after its deferral)."""
    return row.deferred_at + timedelta(seconds=get_settings().resume_settle_seconds)


def lock_task_instance(session: Session, row: HITLDetail) -> TI | None:
    """The task instance of ``row``'s task, row-locked for the rest of the transaction."""
    query = select(TI).where(same_task(row))
    return session.scalars(with_row_locks(query, of=TI, session=session)).one_or_none()


def resume_task(session: Session, row: HITLDetail, ti: TI | None) -> bool:
    """
    Resume ``row``'s task with its recorded answer; ``ti`` must be locked by the caller.

    Returns False (and changes nothing but the request's bookkeeping) when the task no longer waits
    for this request or another server resumed it already.
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
        session.execute(
            update(HITLDetail)
            .where(HITLDetail.id == row.id, HITLDetail.resumed_at.is_(None))
            .values(resume_due_at=None, closed_ti_state=str(ti.state) if ti else "removed")
        )
        return False
    claimed = session.execute(
        update(HITLDetail)
        .where(HITLDetail.id == row.id, HITLDetail.resumed_at.is_(None))
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
    )
    Trigger.submit_event(ti.trigger_id, TriggerEvent(event), session=session)
    log.info("Resumed %r with %s", row, row.chosen_options)
    return True


def resume_due_requests(session: Session, now: datetime | None = None) -> int:
    """Resume every answered request whose settle time has passed (recovery and timers)."""
    now = now or timezone.utcnow()
    due_ids = session.scalars(
        select(HITLDetail.id).where(HITLDetail.resume_due_at.is_not(None), HITLDetail.resume_due_at <= now)
    ).all()
    resumed = 0
    for request_id in due_ids:
        resumed += resume_request_by_id(session, request_id)
    return resumed


def resume_request_by_id(session: Session, request_id: int) -> bool:
    row = session.get(HITLDetail, request_id)
    if row is None or row.resumed_at is not None or row.status != HITLStatus.RESPONDED.value:
        return False
    ti = lock_task_instance(session, row)
    session.refresh(row)
    if row.resumed_at is not None:
        return False
    return resume_task(session, row, ti)


class ResumeScheduler:
    """
    In-process timers for answers that arrived inside the settle window.

    One timer per early answer (not per pending request); lost timers (a crashed server) are
    harmless because :func:`resume_due_requests` runs at start-up and on every read.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(self._resume_due_and_reschedule)

    def stop(self) -> None:
        self._loop = None

    def schedule(self, request_id: int, due_at: datetime) -> bool:
        """Resume ``request_id`` at ``due_at``; callable from any thread. False: not running."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        delay = max(0.0, (due_at - timezone.utcnow()).total_seconds())
        loop.call_soon_threadsafe(loop.call_later, delay, self._fire, request_id)
        return True

    def _fire(self, request_id: int) -> None:
        if self._loop is not None:
            self._loop.create_task(asyncio.to_thread(self._resume_one, request_id))

    @staticmethod
    def _resume_one(request_id: int) -> None:
        try:
            with create_session() as session:
                resume_request_by_id(session, request_id)
        except Exception:
            log.exception("Resuming HITL request %s failed; the next read retries it", request_id)

    def _resume_due_and_reschedule(self) -> None:
        with create_session() as session:
            resume_due_requests(session)
            later = session.execute(
                select(HITLDetail.id, HITLDetail.resume_due_at).where(HITLDetail.resume_due_at.is_not(None))
            ).all()
        for request_id, due_at in later:
            self.schedule(request_id, due_at)


resume_scheduler = ResumeScheduler()
