"""Answering a request: authorise, validate, record durably, resume the task exactly once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from airflow.hitl.config import get_settings
from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.request import mask_params, validate_answer
from airflow.hitl.services import metrics
from airflow.hitl.services.errors import InvalidOptions, InvalidParams, NotAllowed, RequestClosed
from airflow.hitl.services.permissions import Decision, decide_responder
from airflow.hitl.services.registry import TaskKey, close_ended_requests, ended_request_ids
from airflow.hitl.services.requests import get_request, sync_task
from airflow.hitl.services.resume import lock_task_instance, resume_due_at, resume_task
from airflow.models.log import Log
from airflow.utils import timezone

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.orm import Session

    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser

log = logging.getLogger(__name__)


def closed_reason(row: HITLRequest) -> str:
    """Why a request takes no (more) answers, in words a responder can act on."""
    if row.status == HITLStatus.RESPONDED.value:
        who = row.responded_by_user["name"] if row.responded_by_user else "someone"
        return f"already answered by {who} at {row.responded_at.isoformat()} with {row.chosen_options}"
    if row.status == HITLStatus.TIMED_OUT.value:
        return f"timed out at {row.deadline.isoformat() if row.deadline else row.responded_at}"
    if row.status == HITLStatus.CANCELLED.value:
        return f"cancelled: the task stopped waiting (task state: {row.closed_ti_state})"
    return f"expired: its deadline {row.deadline.isoformat()} has passed" if row.deadline else "closed"


def may_answer_now(session: Session, user: BaseUser, row: HITLRequest) -> Decision:
    """Whether ``user`` could answer ``row`` now; the reason says why not (closed, or not allowed)."""
    deadline_passed = row.deadline is not None and timezone.utcnow() >= row.deadline
    if row.status != HITLStatus.PENDING.value or deadline_passed:
        return Decision(False, closed=True, reason=closed_reason(row))
    return decide_responder(session, user, row)


def respond_to_request(
    session: Session,
    *,
    task: TaskKey,
    user: BaseUser,
    chosen_options: Sequence[str],
    params_input: Mapping[str, Any] | None,
    channel: str,
    try_number: int | None = None,
    allow_override: bool = True,
) -> HITLRequest:
    """
    Record ``user``'s answer to the latest request of ``task`` and resume the task.

    With ``try_number`` (a prepared link belongs to one try), only that try's request is answered:
    once the task has moved on to another try it is closed and the answer is refused. Without
    ``allow_override`` (prepared links), an admin's answer to a request assigned to others is
    refused instead of being recorded as an override.

    The first valid answer wins: the request moves from ``pending`` to ``responded`` in one
    conditional UPDATE while the task instance row is locked, so concurrent answers (from any
    number of API servers) get :class:`RequestClosed`. The answer and the resume are committed
    together; an answer inside the settle window is committed with ``resume_due_at`` instead and
    the request lifecycle resumes the task when that time comes (see
    :mod:`airflow.hitl.services.resume`). Such an answer is accepted only when that resume can
    happen before the trigger fires the deadline, even if the lifecycle's API server dies first.
    """
    sync_task(session, task)
    # What was found out about the task (a try registered, one that ended closed) stands whatever
    # becomes of this answer: a refusal rolls back only the answer.
    session.commit()
    row = get_request(session, task, try_number=try_number)
    ti = lock_task_instance(session, row)
    ended = ended_request_ids(session, task=task)  # it may have stopped waiting just now
    if ended:
        close_ended_requests(session, ended)
    session.refresh(row)
    decision = may_answer_now(session, user, row)
    if decision.closed:
        session.commit()  # keeps a close made under the lock; nothing else was written
        raise RequestClosed(f"This request takes no answers: {decision.reason}")
    if not decision.allowed:
        raise NotAllowed(f"You may not answer this request: {decision.reason}")
    if decision.override and not allow_override:
        raise NotAllowed(
            "You may not answer this request through this channel: it is assigned to others, and "
            "answering for them (an admin's override) is possible only in Airflow itself"
        )
    now = timezone.utcnow()

    errors, resolved_params = validate_answer(row.request_snapshot(), chosen_options, params_input)
    if errors.options:
        raise InvalidOptions("; ".join(errors.options))
    if errors.params:
        raise InvalidParams(
            [
                {"loc": ["body", "params_input", name], "msg": msg, "type": "value_error"}
                for name, msg in errors.params.items()
            ]
        )

    due_at = resume_due_at(row)
    settle_window_open = now < due_at
    if settle_window_open and row.deadline is not None and due_at + _takeover_time() >= row.deadline:
        raise RequestClosed(
            "This request takes no answers now: the task cannot be resumed safely before "
            f"{due_at.isoformat()} (it deferred moments ago), and its deadline "
            f"{row.deadline.isoformat()} comes too soon after that to be sure the answer reaches it"
        )
    recorded = session.execute(
        update(HITLRequest)
        .where(HITLRequest.id == row.id, HITLRequest.status == HITLStatus.PENDING.value)
        .values(
            status=HITLStatus.RESPONDED.value,
            responded_at=now,
            responded_by_id=str(user.get_id()),
            responded_by_name=user.get_name(),
            chosen_options=list(chosen_options),
            params_input=resolved_params,
            response_channel=channel,
            override=decision.override,
            resume_due_at=due_at if settle_window_open else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not recorded:
        session.rollback()
        raise RequestClosed("This request takes no answers: another answer was recorded first")
    session.refresh(row)
    _audit(session, row, user)
    metrics.request_answered(row)
    if not settle_window_open:
        resume_task(session, row, ti)
    session.commit()
    if settle_window_open:
        log.info("%r is resumed by the request lifecycle at %s", row, due_at.isoformat())
    return row


def _takeover_time() -> timedelta:
    """The longest a due resume can wait: the lifecycle's API server dies, another takes over."""
    settings = get_settings()
    return timedelta(seconds=settings.lifecycle_lease_seconds + 2 * settings.lifecycle_interval)


def _audit(session: Session, row: HITLRequest, user: BaseUser) -> None:
    """Airflow's audit log (``Log``): who answered what, through which channel."""
    extra = {
        "chosen_options": row.chosen_options,
        "params_input": mask_params(row.params, row.params_input),
        "channel": row.response_channel,
        "override": row.override,
        "try_number": row.try_number,
    }
    session.add(
        Log(
            event="hitl.override" if row.override else "hitl.respond",
            dag_id=row.dag_id,
            run_id=row.run_id,
            task_id=row.task_id,
            map_index=row.map_index,
            try_number=row.try_number,
            owner=user.get_name(),
            extra=str(extra),
        )
    )
