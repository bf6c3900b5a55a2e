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

from sqlalchemy import String, and_, cast, delete, exists, or_, select, tuple_
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


def same_task(row: Any, instances: Any = TI) -> Any:
    """
    SQL condition: the row of ``instances`` (task instances, or their history) belongs to the same
    task as ``row`` (any try).
    """
    return and_(
        instances.dag_id == row.dag_id,
        instances.run_id == row.run_id,
        instances.task_id == row.task_id,
        instances.map_index == row.map_index,
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
            TI.id.label("ti_id"),
            TI.dag_id,
            TI.run_id,
            TI.task_id,
            TI.map_index,
            TI.try_number,
            Trigger.id.label("trigger_id"),
            Trigger.created_date.label("deferred_at"),
            Trigger.encrypted_kwargs,
        )
        .join(Trigger, TI.trigger_id == Trigger.id)
        .where(TI.state == TaskInstanceState.DEFERRED, Trigger.classpath == TRIGGER_CLASSPATH)
        .where(
            ~exists().where(
                same_task(HITLDetail),
                HITLDetail.try_number == TI.try_number,
                # A request of the same try with another task instance id belongs to a DAG run
                # that was deleted and created again under the same run id (removed below).
                HITLDetail.ti_id == cast(TI.id, String),
            )
        )
    )
    if task is not None:
        query = query.where(tuple_(TI.dag_id, TI.run_id, TI.task_id, TI.map_index) == task)
    found = []  # (trigger kwargs, the task try's fields) of each try that has no request yet
    for record in session.execute(query):
        task_try = dict(record._mapping)
        trigger_kwargs = Trigger._decrypt_kwargs(task_try.pop("encrypted_kwargs"))
        found.append((trigger_kwargs, {**task_try, "ti_id": str(task_try["ti_id"])}))
    if not found:
        return 0
    _remove_requests_of_deleted_runs(
        session, {(task_try["dag_id"], task_try["run_id"]) for _, task_try in found}
    )
    # All at once in one savepoint; only when another API server registered some of them at the
    # same moment, one savepoint each, so that its rows stand and the others are still registered.
    registered = [
        (build_request(trigger_kwargs, **task_try), trigger_kwargs) for trigger_kwargs, task_try in found
    ]
    try:
        with session.begin_nested():
            session.add_all(row for row, _ in registered)
    except IntegrityError:
        registered = [
            (row, trigger_kwargs)
            for trigger_kwargs, task_try in found
            if (row := _register_one(session, build_request(trigger_kwargs, **task_try)))
        ]
    for row, trigger_kwargs in registered:
        register_link_tokens(session, row, trigger_kwargs)
        metrics.request_created(row)
    return len(registered)


def _register_one(session: Session, row: HITLDetail) -> HITLDetail | None:
    """``row`` added in a savepoint of its own; None when another server registered that try first."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        log.debug("Request for %s.%s try %s already registered", row.dag_id, row.task_id, row.try_number)
        return None
    return row


def _remove_requests_of_deleted_runs(session: Session, runs: set[tuple[str, str]]) -> None:
    """
    Remove the requests of ``runs`` (``(dag_id, run_id)``) made by task instances that are neither
    a task instance nor in the task instance history of the run any more.

    That happens when a run was deleted and created again under the same run id (as the scheduler
    does for a deleted scheduled run, or a trigger with a given run id): Airflow deleted the old
    run's task instances, and their requests go too, before the new run's tasks register theirs.
    Otherwise the new tries would collide with the old ones of the same numbers, and an old later
    try would pass for the new run's latest.
    """
    ordered = sorted(runs)
    for start in range(0, len(ordered), _RUNS_CHUNK):
        chunk = ordered[start : start + _RUNS_CHUNK]
        removed = session.execute(
            delete(HITLDetail)
            .where(
                or_(
                    *(
                        and_(HITLDetail.dag_id == dag_id, HITLDetail.run_id == run_id)
                        for dag_id, run_id in chunk
                    )
                ),
                ~exists().where(same_task(HITLDetail), cast(TI.id, String) == HITLDetail.ti_id),
                ~exists().where(
                    same_task(HITLDetail, TIH), cast(TIH.task_instance_id, String) == HITLDetail.ti_id
                ),
            )
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if removed:
            log.info("Removed %d requests of DAG runs that were deleted and created again", removed)


_RUNS_CHUNK = 100


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
        # When the task asked (it deferred), not when a read first registered the request: nobody
        # may have looked for a while, and inbox order, filters, metrics and retention use this.
        created_at=deferred_at,
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
    closed = 0
    ids = _stopped_waiting(session, task)
    for start in range(0, len(ids), _CHUNK):
        query = (
            select(HITLDetail, TI.state, TI.try_number, TI.next_kwargs)
            .outerjoin(TI, same_task(HITLDetail))
            .where(
                HITLDetail.id.in_(ids[start : start + _CHUNK]), HITLDetail.status == HITLStatus.PENDING.value
            )
        )
        for row, ti_state, ti_try, next_kwargs in session.execute(query).all():
            if ti_try != row.try_number:
                ti_state, next_kwargs = _try_outcome(session, row)
            close_request(row, ti_state, next_kwargs)
            metrics.request_closed(row)
            closed += 1
    if closed:
        session.flush()  # Airflow's sessions do not autoflush; later reads must see the closes
    return closed


_CHUNK = 500  # ids per IN (...) list


def _stopped_waiting(session: Session, task: TaskKey | None) -> list[int]:
    """
    Ids of pending requests whose task try is not deferred (any more).

    Two plain reads compared here rather than one join in the database: with thousands of mapped
    task instances in one DAG run, PostgreSQL chose a nested loop over Airflow's ``(dag_id, run_id)``
    index for that join, scanning every task instance of the run once per request (12 s for 10,000
    pending requests of one run); this stays linear whatever the planner believes.
    """
    key = (HITLDetail.dag_id, HITLDetail.run_id, HITLDetail.task_id, HITLDetail.map_index)
    pending = select(HITLDetail.id, *key, HITLDetail.try_number).where(
        HITLDetail.status == HITLStatus.PENDING.value
    )
    deferred = select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index, TI.try_number).where(
        TI.state == TaskInstanceState.DEFERRED
    )
    if task is not None:
        pending = pending.where(tuple_(*key) == task)
        deferred = deferred.where(tuple_(TI.dag_id, TI.run_id, TI.task_id, TI.map_index) == task)
    waiting = {tuple(row) for row in session.execute(deferred)}
    return [
        request_id for request_id, *task_try in session.execute(pending) if tuple(task_try) not in waiting
    ]


def _try_outcome(session: Session, row: HITLDetail) -> tuple[str | None, dict | None]:
    """State and resume kwargs of an earlier try, from Airflow's task instance history."""
    found = session.execute(
        select(TIH.state, TIH.next_kwargs).where(same_task(row, TIH), TIH.try_number == row.try_number)
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
