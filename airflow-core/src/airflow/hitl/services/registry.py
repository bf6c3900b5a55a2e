"""The registry: deferred HITL task tries become ``HITLRequest`` rows, and rows are closed when their
task try stops waiting.

Core Airflow already stores every deferred task's trigger (class path and kwargs, which carry the
whole request) in its ``trigger`` table. The request lifecycle (:mod:`airflow.hitl.services.lifecycle`)
calls these functions in the background; the answering paths call them for their own task only.
Everything here is idempotent and safe to run concurrently from several API servers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, and_, cast, delete, exists, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from airflow.hitl.events import TRIGGER_CLASSPATH, is_timeout_event
from airflow.hitl.models import HITLAssignee, HITLRequest, HITLStatus, ResponseChannel
from airflow.hitl.services import metrics
from airflow.hitl.services.prepared_link_tokens import register_link_tokens
from airflow.hitl.services.run_creator import record_run_creators
from airflow.models.log import Log
from airflow.models.taskinstance import TaskInstance as TI
from airflow.models.taskinstancehistory import TaskInstanceHistory as TIH
from airflow.models.trigger import Trigger
from airflow.utils import timezone
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from sqlalchemy.orm import Session
    from sqlalchemy.sql import ColumnElement

    from airflow.hitl.request import RequestSpec

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


def _of_task(columns: Sequence[Any], task: TaskKey) -> ColumnElement[bool]:
    return tuple_(*columns) == task


# --- registering ---------------------------------------------------------------------------------


def register_new_requests(
    session: Session, *, task: TaskKey | None = None, after_trigger_id: int | None = None
) -> list[HITLRequest]:
    """
    Create a ``HITLRequest`` for every deferred HITL task try that has none yet; returns the new rows.

    :param task: only this task's tries (the answering paths).
    :param after_trigger_id: only tries deferred on triggers with a greater id (the lifecycle's
        watermark: an index range instead of every waiting task).
    """
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
                same_task(HITLRequest),
                HITLRequest.try_number == TI.try_number,
                # A request of the same try with another task instance id belongs to a DAG run
                # that was deleted and created again under the same run id (removed below).
                HITLRequest.ti_id == cast(TI.id, String),
            )
        )
    )
    if task is not None:
        query = query.where(_of_task((TI.dag_id, TI.run_id, TI.task_id, TI.map_index), task))
    if after_trigger_id is not None:
        query = query.where(Trigger.id > after_trigger_id)
    found = []  # (trigger kwargs, the task try's fields) of each try that has no request yet
    for record in session.execute(query):
        task_try = dict(record._mapping)
        trigger_kwargs = Trigger._decrypt_kwargs(task_try.pop("encrypted_kwargs"))
        found.append((trigger_kwargs, {**task_try, "ti_id": str(task_try["ti_id"])}))
    if not found:
        return []
    _remove_requests_of_recreated_runs(
        session, {(task_try["dag_id"], task_try["run_id"]) for _, task_try in found}
    )
    # All at once in one savepoint; only when another API server registered some of them at the
    # same moment, one savepoint each, so that its rows stand and the others are still registered.
    registered = [(_row_for(kwargs, task_try), kwargs) for kwargs, task_try in found]
    try:
        with session.begin_nested():
            session.add_all(row for row, _ in registered)
    except IntegrityError:
        registered = [
            (row, kwargs)
            for kwargs, task_try in found
            if (row := _register_one(session, _row_for(kwargs, task_try)))
        ]
    for row, kwargs in registered:
        record_run_creators(session, row)
        register_link_tokens(session, row, kwargs)
        metrics.request_created(row)
    return [row for row, _ in registered]


def _row_for(trigger_kwargs: Mapping[str, Any], task_try: Mapping[str, Any]) -> HITLRequest:
    return new_request_row(trigger_kwargs["request"], deadline=trigger_kwargs.get("deadline"), **task_try)


def _register_one(session: Session, row: HITLRequest) -> HITLRequest | None:
    """``row`` added in a savepoint of its own; None when another server registered that try first."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        log.debug("Request for %s.%s try %s already registered", row.dag_id, row.task_id, row.try_number)
        return None
    return row


def _remove_requests_of_recreated_runs(session: Session, runs: set[tuple[str, str]]) -> None:
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
            delete(HITLRequest)
            .where(
                or_(
                    *(
                        and_(HITLRequest.dag_id == dag_id, HITLRequest.run_id == run_id)
                        for dag_id, run_id in chunk
                    )
                ),
                ~exists().where(same_task(HITLRequest), cast(TI.id, String) == HITLRequest.ti_id),
                ~exists().where(
                    same_task(HITLRequest, TIH), cast(TIH.task_instance_id, String) == HITLRequest.ti_id
                ),
            )
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if removed:
            log.info("Removed %d requests of DAG runs that were deleted and created again", removed)


_RUNS_CHUNK = 100


def new_request_row(
    request: RequestSpec | Mapping[str, Any],
    *,
    deadline: datetime | None,
    ti_id: str,
    dag_id: str,
    run_id: str,
    task_id: str,
    map_index: int,
    try_number: int,
    trigger_id: int | None,
    deferred_at: datetime,
) -> HITLRequest:
    """A new pending request of one task try, from the request its operator built."""
    assigned_users = list(request.get("assigned_users") or [])
    assigned_groups = list(request.get("assigned_groups") or [])
    principals = {("user", str(u["id"])) for u in assigned_users} | {("group", g) for g in assigned_groups}
    row = HITLRequest(
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
        has_assignees=bool(principals),
        policy=dict(request["policy"]) if request.get("policy") else None,
        # When the task asked (it deferred), not when the request was registered: inbox order,
        # filters, metrics and retention use this.
        created_at=deferred_at,
        deferred_at=deferred_at,
        deadline=deadline,
        status=HITLStatus.PENDING.value,
        override=False,
    )
    row.assignees = [HITLAssignee(kind=kind, principal=name) for kind, name in sorted(principals)]
    return row


# --- closing -------------------------------------------------------------------------------------


def _open() -> ColumnElement[bool]:
    """Requests whose task may still need them: pending, or answered and not yet resumed."""
    return or_(HITLRequest.status == HITLStatus.PENDING.value, HITLRequest.resume_due_at.is_not(None))


def ended_request_ids(
    session: Session,
    *,
    task: TaskKey | None = None,
    deadline_between: tuple[datetime, datetime] | None = None,
) -> list[int]:
    """
    Ids of open requests (pending, or answered and waiting for their resume) whose task try no
    longer waits: one statement, the comparison done by the database.

    :param task: only this task's requests (the answering paths).
    :param deadline_between: only pending requests whose deadline lies in this range (the
        lifecycle's timeout check, served by the ``(status, deadline)`` index).

    The task instance is matched by its id *and* try: a cleared task's next try has a new id, a
    retry that keeps its id (a scheduler-failed queued task) has a new try number.
    """
    still_waiting = exists().where(
        TI.id == cast(HITLRequest.ti_id, TI.id.type),
        TI.state == TaskInstanceState.DEFERRED,
        TI.try_number == HITLRequest.try_number,
    )
    query = select(HITLRequest.id).where(~still_waiting)
    if deadline_between is not None:
        start, end = deadline_between
        query = query.where(
            HITLRequest.status == HITLStatus.PENDING.value,
            HITLRequest.deadline >= start,
            HITLRequest.deadline <= end,
        )
    else:
        query = query.where(_open())
    if task is not None:
        key = (HITLRequest.dag_id, HITLRequest.run_id, HITLRequest.task_id, HITLRequest.map_index)
        query = query.where(_of_task(key, task))
    return list(session.scalars(query))


def close_ended_requests(session: Session, ids: Sequence[int]) -> list[HITLRequest]:
    """
    Record how each of the requests ``ids`` ended (timed out or cancelled), from its task try's
    state and resume kwargs; returns the rows this call closed.

    Each close is a conditional UPDATE on the status the row was read with, so a close never
    overwrites an answer recorded meanwhile, and two servers closing the same request close it once.
    """
    closed = []
    for start in range(0, len(ids), _CHUNK):
        # The task instance by its primary key (the id the try had): joining by the natural key let
        # PostgreSQL scan every task instance of a run per request (thousands of mapped tasks).
        query = (
            select(HITLRequest, TI.state, TI.try_number, TI.next_kwargs)
            .outerjoin(TI, TI.id == cast(HITLRequest.ti_id, TI.id.type))
            .where(HITLRequest.id.in_(ids[start : start + _CHUNK]), _open())
        )
        for row, ti_state, ti_try, next_kwargs in session.execute(query).all():
            if ti_try != row.try_number:
                # Cleared (the next try has a new id), retried under the same id, or deleted: how
                # the try ended is in Airflow's task instance history, if anywhere.
                ti_state, next_kwargs = _try_outcome(session, row)
            read_status = row.status
            values = close_request(row, ti_state, next_kwargs)
            updated = session.execute(
                update(HITLRequest)
                .where(
                    HITLRequest.id == row.id,
                    HITLRequest.status == read_status,
                    HITLRequest.resumed_at.is_(None),
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.refresh(row)
            if updated:
                _audit_close(session, row)
                metrics.request_closed(row)
                closed.append(row)
                log.info("Closed %r (task state %s)", row, ti_state)
    return closed


_CHUNK = 500  # ids per IN (...) list


def _audit_close(session: Session, row: HITLRequest) -> None:
    """Airflow's audit log (``Log``): a request ended without a person's answer."""
    extra: dict[str, Any] = {"status": row.status, "try_number": row.try_number}
    if row.status == HITLStatus.TIMED_OUT.value:
        extra["chosen_options"] = row.chosen_options
    else:
        extra["task_state"] = row.closed_ti_state
    if row.undelivered_answer:
        extra["undelivered_answer_by"] = (row.undelivered_answer.get("responded_by_user") or {}).get("name")
    session.add(
        Log(
            event="hitl.timeout" if row.status == HITLStatus.TIMED_OUT.value else "hitl.cancel",
            dag_id=row.dag_id,
            run_id=row.run_id,
            task_id=row.task_id,
            map_index=row.map_index,
            try_number=row.try_number,
            extra=str(extra),
        )
    )


def _try_outcome(session: Session, row: HITLRequest) -> tuple[str | None, dict | None]:
    """State and resume kwargs of an earlier try, from Airflow's task instance history."""
    found = session.execute(
        select(TIH.state, TIH.next_kwargs).where(same_task(row, TIH), TIH.try_number == row.try_number)
    ).first()
    return (found[0], found[1]) if found else (None, None)


def close_request(
    row: HITLRequest, ti_state: str | None, next_kwargs: Mapping[str, Any] | None
) -> dict[str, Any]:
    """
    Decide how an open request ended, from its task try's state and resume kwargs; sets the outcome
    on ``row`` and returns the changed columns.

    The deadline's event leaves the defaults in ``next_kwargs["event"]``: the request timed out.
    Anything else (marked success/failed, cleared, deleted while waiting) cancels it. An answer that
    was recorded but never reached the task (the deadline came first, or the task was marked) is
    kept as ``undelivered_answer``: the record says what the task used, never an answer it did not get.
    """
    values: dict[str, Any] = {"resume_due_at": None}
    if row.status == HITLStatus.RESPONDED.value:
        values.update(
            undelivered_answer={
                "responded_at": row.responded_at.isoformat() if row.responded_at else None,
                "responded_by_user": row.responded_by_user,
                "chosen_options": row.chosen_options,
                "params_input": row.params_input,
                "channel": row.response_channel,
                "override": row.override,
                "comment": row.comment,
            },
            responded_at=None,
            responded_by_id=None,
            responded_by_name=None,
            chosen_options=None,
            params_input=None,
            response_channel=None,
            override=False,
            comment=None,
        )
    event: Any = (next_kwargs or {}).get("event")
    if is_timeout_event(event):
        values.update(
            status=HITLStatus.TIMED_OUT.value,
            responded_at=timezone.parse(event["responded_at"]),
            chosen_options=event["chosen_options"],
            params_input=event["params_input"],
            response_channel=ResponseChannel.TIMEOUT.value,
        )
    else:
        values.update(
            status=HITLStatus.CANCELLED.value,
            closed_ti_state=str(ti_state) if ti_state else "removed",
        )
    for name, value in values.items():
        setattr(row, name, value)
    return values
