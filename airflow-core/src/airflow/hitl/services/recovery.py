"""Requests that asked and ended while no request lifecycle ran (all API servers down).

Such a try's trigger is gone (the triggerer deletes triggers nobody waits on), so the registry
cannot see it. Its operator also pushed the request as the XCom ``hitl_request`` before deferring
(through the supervisor: a durable channel the task has), and the task instance keeps how the try
ended (``next_kwargs`` carries the deadline's event; the history keeps earlier tries). From both,
the request is recorded as it ended: subject, options, assignees, deadline, and the outcome.

What cannot be recovered on Airflow 3.0.6: the prepared links' digests (they travel in the
trigger's kwargs only; links of an ended request cannot act anyway), and a try whose XCom is gone
because the task has started another try since (Airflow clears a task's XComs when a try starts).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from airflow.hitl.events import REQUEST_XCOM_KEY
from airflow.hitl.models import HITLRequest
from airflow.hitl.services.registry import close_ended_requests, new_request_row, same_task
from airflow.models.taskinstance import TaskInstance as TI
from airflow.models.taskinstancehistory import TaskInstanceHistory as TIH
from airflow.models.xcom import XComModel
from airflow.utils import timezone
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Tries that deferred shortly before the last lifecycle round may not have been registered by it.
MARGIN = timedelta(minutes=5)


def record_ended_tries(session: Session, since: datetime | None) -> int:
    """
    Record the requests of tries that asked after ``since`` (None: ever) and are no longer waiting,
    but have no request row; returns how many were recorded.
    """
    query = select(
        XComModel.dag_id, XComModel.run_id, XComModel.task_id, XComModel.map_index, XComModel.value
    ).where(XComModel.key == REQUEST_XCOM_KEY)
    if since is not None:
        query = query.where(XComModel.timestamp >= since - MARGIN)
    new_rows = []
    for found in session.execute(query).all():
        asked = _asked(found)
        if asked is None:
            continue
        task_try = {
            "dag_id": found.dag_id,
            "run_id": found.run_id,
            "task_id": found.task_id,
            "map_index": found.map_index,
            "try_number": asked["try_number"],
        }
        if _registered(session, task_try) or _still_waiting(session, task_try, asked["ti_id"]):
            continue  # the registry has it, or will register it from its trigger
        row = new_request_row(
            asked["request"],
            deadline=timezone.parse(asked["deadline"]) if asked.get("deadline") else None,
            ti_id=asked["ti_id"],
            trigger_id=None,
            deferred_at=timezone.parse(asked["asked_at"]),
            **task_try,
        )
        session.add(row)
        new_rows.append(row)
    if not new_rows:
        return 0
    session.flush()
    closed = close_ended_requests(session, [row.id for row in new_rows])
    for row in closed:
        log.info("Recorded %r, which ended while no API server ran the request lifecycle", row)
    return len(closed)


def _asked(found: Any) -> dict[str, Any] | None:
    try:
        value = XComModel.deserialize_value(found)
    except Exception:
        value = None
    if not isinstance(value, dict) or not {"request", "ti_id", "try_number", "asked_at"} <= value.keys():
        log.warning("Ignoring a malformed %s XCom of %s.%s", REQUEST_XCOM_KEY, found.dag_id, found.task_id)
        return None
    return value


def _registered(session: Session, task_try: dict[str, Any]) -> bool:
    return (
        session.scalar(
            select(HITLRequest.id).where(
                same_task(SimpleNamespace(**task_try), HITLRequest),
                HITLRequest.try_number == task_try["try_number"],
            )
        )
        is not None
    )


def _still_waiting(session: Session, task_try: dict[str, Any], ti_id: str) -> bool:
    state = session.scalar(
        select(TI.state).where(
            same_task(SimpleNamespace(**task_try)), TI.try_number == task_try["try_number"]
        )
    )
    if state is None:
        # An earlier try that Airflow moved to its history is not waiting; a missing one neither.
        state = session.scalar(
            select(TIH.state).where(
                same_task(SimpleNamespace(**task_try), TIH), TIH.try_number == task_try["try_number"]
            )
        )
    return state == TaskInstanceState.DEFERRED
