"""Finding requests: the latest try of a task, or a given try, after syncing the registry."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import select

from airflow.hitl.config import get_settings
from airflow.hitl.models import HITLDetail
from airflow.hitl.services.errors import RequestNotFound
from airflow.hitl.services.registry import TaskKey, sync_requests
from airflow.hitl.services.resume import resume_due_requests
from airflow.hitl.services.retention import remove_requests_of_deleted_runs

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class _Throttle:
    """Lets a caller through at most once per interval in this process (others skip, not wait)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = float("-inf")

    def ready(self, interval: float) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last < interval:
                return False
            self._last = now
            return True


_whole_registry = _Throttle()
_deleted_runs = _Throttle()


def refresh_requests(session: Session, task: TaskKey | None = None) -> None:
    """
    Bring requests up to date before anyone reads or answers them: register new deferrals, close
    finished ones, and resume answers whose settle time has passed (this is also how an answer
    recorded by an API server that died before its resume timer fired gets its task resumed).

    One task's requests are synced on every call. Syncing all of them (for inbox lists and
    counts) costs time in proportion to the pending requests (about 0.3 s per read with 10,000
    pending, see ``contributing-docs/architecture.md``), so each API server process does it at
    most once per ``[hitl] inbox_refresh_interval``; any process's sync serves all of them.
    Requests of deleted DAG runs are removed at most once per ``[hitl]
    deleted_runs_check_interval``, also by inbox lists and counts.
    """
    settings = get_settings()
    if task is None and _deleted_runs.ready(settings.deleted_runs_check_interval):
        remove_requests_of_deleted_runs(session)
    if task is not None or _whole_registry.ready(settings.inbox_refresh_interval):
        sync_requests(session, task)
    resume_due_requests(session)


def get_request(session: Session, task: TaskKey, try_number: int | None = None) -> HITLDetail:
    """The request of ``task``'s latest try (or of ``try_number``); 404 when there is none."""
    refresh_requests(session, task)
    dag_id, run_id, task_id, map_index = task
    query = select(HITLDetail).where(
        HITLDetail.dag_id == dag_id,
        HITLDetail.run_id == run_id,
        HITLDetail.task_id == task_id,
        HITLDetail.map_index == map_index,
    )
    if try_number is not None:
        query = query.where(HITLDetail.try_number == try_number)
    row = session.scalars(query.order_by(HITLDetail.try_number.desc()).limit(1)).one_or_none()
    if row is None:
        which = f" try {try_number}" if try_number is not None else ""
        raise RequestNotFound(
            f"No human-in-the-loop request for task '{task_id}' (map index {map_index}){which} "
            f"in run '{run_id}' of DAG '{dag_id}'"
        )
    return row
