"""Finding requests: the latest try of a task, or a given try. Reads only read: the request
lifecycle (:mod:`airflow.hitl.services.lifecycle`) keeps the rows up to date in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from airflow.hitl.models import HITLRequest
from airflow.hitl.services.errors import RequestNotFound
from airflow.hitl.services.registry import (
    TaskKey,
    close_ended_requests,
    ended_request_ids,
    register_new_requests,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def sync_task(session: Session, task: TaskKey) -> None:
    """
    Bring one task's requests up to date now: register a try that has just deferred, close one
    that stopped waiting. For the paths that act on a request (an answer, a prepared link), which
    must not act on a state up to one lifecycle round old; reads leave this to the lifecycle.
    """
    register_new_requests(session, task=task)
    ended = ended_request_ids(session, task=task)
    if ended:
        close_ended_requests(session, ended)


def get_request(session: Session, task: TaskKey, try_number: int | None = None) -> HITLRequest:
    """The request of ``task``'s latest try (or of ``try_number``); 404 when there is none."""
    dag_id, run_id, task_id, map_index = task
    query = select(HITLRequest).where(
        HITLRequest.dag_id == dag_id,
        HITLRequest.run_id == run_id,
        HITLRequest.task_id == task_id,
        HITLRequest.map_index == map_index,
    )
    if try_number is not None:
        query = query.where(HITLRequest.try_number == try_number)
    row = session.scalars(query.order_by(HITLRequest.try_number.desc()).limit(1)).one_or_none()
    if row is None:
        which = f" try {try_number}" if try_number is not None else ""
        raise RequestNotFound(
            f"No human-in-the-loop request for task '{task_id}' (map index {map_index}){which} "
            f"in run '{run_id}' of DAG '{dag_id}'"
        )
    return row
