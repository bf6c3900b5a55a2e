"""The registry: turns deferred HITL tasks into ``HITLDetail`` rows and closes finished ones.

Nothing polls. Core Airflow already stores every deferred task's trigger (class path and kwargs,
which carry the whole request) in its ``trigger`` table; the registry reads it whenever somebody
looks (every read and every answer through the API calls :func:`sync_requests`), so a request is
visible the moment its task has deferred, in every deployment layout, without work per pending
request. It is idempotent and safe to run concurrently from several API servers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.exc import IntegrityError

from airflow.hitl.events import TRIGGER_CLASSPATH, is_timeout_event
from airflow.hitl.models import HITLAssignee, HITLDetail, HITLStatus, ResponseChannel
from airflow.hitl.services import metrics
from airflow.hitl.services.link_tokens import register_link_tokens
from airflow.models.taskinstance import TaskInstance as TI
from airflow.models.taskinstancehistory import TaskInstanceHistory as TIH
from airflow.models.trigger import Trigger
from airflow.utils import timezone
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

TaskKey = tuple[str, str, str, int]  # dag_id, run_id, task_id, map_index


def same_task(row: Any) -> Any:
    """SQL condition: the task instance row belongs to the same task as ``row`` (any try)."""
    return and_(
        TI.dag_id == row.dag_id,
        TI.run_id == row.run_id,
        TI.task_id == row.task_id,
        TI.map_index == row.map_index,
    )


def sync_requests(session: Session, task: TaskKey | None = None) -> None:
    """Register newly deferred HITL tasks and close requests whose tasks stopped waiting."""
    changed = register_new_requests(session, task) + close_finished_requests(session, task)
    if changed:
        metrics.pending_gauge(session)


def register_new_requests(session: Session, task: TaskKey | None = None) -> int:
    """Create a ``HITLDetail`` for every deferred HITL task try that has none yet."""
    query = (
        select(
            TI.id,
            TI.dag_id,
            TI.run_id,
            TI.task_id,
            TI.map_index,
            TI.try_number,
            Trigger.id,
            Trigger.created_date,
            Trigger.encrypted_kwargs,
        )
        .join(Trigger, TI.trigger_id == Trigger.id)
        .where(TI.state == TaskInstanceState.DEFERRED, Trigger.classpath == TRIGGER_CLASSPATH)
        .where(
            ~exists().where(
                HITLDetail.dag_id == TI.dag_id,
                HITLDetail.run_id == TI.run_id,
                HITLDetail.task_id == TI.task_id,
                HITLDetail.map_index == TI.map_index,
                HITLDetail.try_number == TI.try_number,
            )
        )
    )
    if task is not None:
        query = query.where(tuple_(TI.dag_id, TI.run_id, TI.task_id, TI.map_index) == task)
    created = 0
    for (
        ti_id,
        dag_id,
        run_id,
        task_id,
        map_index,
        try_number,
        trigger_id,
        deferred_at,
        kwargs,
    ) in session.execute(query):
        trigger_kwargs = Trigger._decrypt_kwargs(kwargs)
        row = build_request(
            trigger_kwargs,
            ti_id=str(ti_id),
            dag_id=dag_id,
            run_id=run_id,
            task_id=task_id,
            map_index=map_index,
            try_number=try_number,
            trigger_id=trigger_id,
            deferred_at=deferred_at,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            # Another API server registered the same try at the same moment.
            log.debug("Request for %s.%s try %s already registered", dag_id, task_id, try_number)
            continue
        register_link_tokens(session, row, trigger_kwargs)
        metrics.request_created(row)
        created += 1
    return created


def build_request(
    trigger_kwargs: Mapping[str, Any],
    *,
    ti_id: str,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    try_number: int,
    trigger_id: int,
    deferred_at: datetime,
) -> HITLDetail:
    """A new pending request from the kwargs ``HITLTrigger`` was deferred with."""
    request = trigger_kwargs["request"]
    assigned_users = list(request.get("assigned_users") or [])
    assigned_groups = list(request.get("assigned_groups") or [])
    row = HITLDetail(
        ti_id=ti_id,
        dag_id=dag_id,
        run_id=run_id,
        task_id=task_id,
        map_index=map_index,
        try_number=try_number,
        trigger_id=trigger_id,
        subject=request["subject"],
        body=request.get("body"),
        options=list(request["options"]),
        defaults=request.get("defaults"),
        multiple=bool(request.get("multiple")),
        params=dict(request.get("params") or {}),
        assigned_users=assigned_users,
        assigned_groups=assigned_groups,
        created_at=timezone.utcnow(),
        deferred_at=deferred_at,
        deadline=trigger_kwargs.get("deadline"),
        status=HITLStatus.PENDING.value,
        override=False,
    )
    principals = {("user", str(u["id"])) for u in assigned_users} | {("group", g) for g in assigned_groups}
    row.assignees = [HITLAssignee(kind=kind, principal=name) for kind, name in sorted(principals)]
    return row


def close_finished_requests(session: Session, task: TaskKey | None = None) -> int:
    """Close pending requests whose task try is no longer waiting on its HITL trigger."""
    query = (
        select(HITLDetail, TI.state, TI.try_number, TI.next_kwargs)
        .outerjoin(TI, same_task(HITLDetail))
        .where(HITLDetail.status == HITLStatus.PENDING.value)
        .where(
            or_(
                TI.dag_id.is_(None),
                TI.state.is_(None),
                TI.state != TaskInstanceState.DEFERRED,
                TI.try_number != HITLDetail.try_number,
            )
        )
    )
    if task is not None:
        query = query.where(
            tuple_(HITLDetail.dag_id, HITLDetail.run_id, HITLDetail.task_id, HITLDetail.map_index) == task
        )
    closed = 0
    for row, ti_state, ti_try, next_kwargs in session.execute(query).all():
        if ti_try != row.try_number:
            ti_state, next_kwargs = _try_outcome(session, row)
        close_request(row, ti_state, next_kwargs)
        metrics.request_closed(row)
        closed += 1
    if closed:
        session.flush()  # Airflow's sessions do not autoflush; later reads must see the closes
    return closed


def _try_outcome(session: Session, row: HITLDetail) -> tuple[str | None, dict | None]:
    """State and resume kwargs of an earlier try, from Airflow's task instance history."""
    found = session.execute(
        select(TIH.state, TIH.next_kwargs).where(
            TIH.dag_id == row.dag_id,
            TIH.run_id == row.run_id,
            TIH.task_id == row.task_id,
            TIH.map_index == row.map_index,
            TIH.try_number == row.try_number,
        )
    ).first()
    return (found[0], found[1]) if found else (None, None)


def close_request(row: HITLDetail, ti_state: str | None, next_kwargs: Mapping[str, Any] | None) -> None:
    """
    Decide how a pending request ended, from its task try's state and resume kwargs.

    The deadline's event leaves the defaults in ``next_kwargs["event"]``: the request timed out.
    Anything else (marked success/failed, cleared, deleted while waiting) cancels it.
    """
    event: Any = (next_kwargs or {}).get("event")
    if is_timeout_event(event):
        row.status = HITLStatus.TIMED_OUT.value
        row.responded_at = timezone.parse(event["responded_at"])
        row.chosen_options = event["chosen_options"]
        row.params_input = event["params_input"]
        row.response_channel = ResponseChannel.TIMEOUT.value
    else:
        row.status = HITLStatus.CANCELLED.value
        row.closed_ti_state = str(ti_state) if ti_state else "removed"
