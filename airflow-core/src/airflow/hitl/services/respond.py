"""Answering a request: authorise, validate, record durably, resume the task exactly once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from airflow.hitl.config import get_settings
from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.policy import comment_problem, is_vote, normalize_comment
from airflow.hitl.request import mask_params, validate_answer
from airflow.hitl.services import metrics
from airflow.hitl.services.errors import (
    InvalidComment,
    InvalidOptions,
    InvalidParams,
    NotAllowed,
    RequestClosed,
)
from airflow.hitl.services.permissions import Decision, decide_responder
from airflow.hitl.services.registry import TaskKey, close_ended_requests, ended_request_ids
from airflow.hitl.services.requests import get_request, sync_task
from airflow.hitl.services.resume import lock_task_instance, resume_due_at, resume_task
from airflow.hitl.services.run_creator import exclusion_reason
from airflow.hitl.services.votes import (
    AlreadyVoted,
    cast_vote,
    describe_tally,
    describe_vote,
    own_vote,
    tally,
)
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
    if is_vote(row.answer_policy()) and (vote := own_vote(session, row, user)) is not None:
        waiting = describe_tally(row, tally(session, row))
        return Decision(False, reason=f"{describe_vote(vote)}; the request waits for more votes ({waiting})")
    # Separation of duties holds for admins too: nobody overrides a rule against themselves.
    if excluded := exclusion_reason(session, user, row):
        return Decision(False, reason=excluded)
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
    comment: str | None = None,
) -> HITLRequest:
    """
    Record ``user``'s answer to the latest request of ``task`` and resume the task.

    With ``try_number`` (a prepared link belongs to one try), only that try's request is answered:
    once the task has moved on to another try it is closed and the answer is refused. ``comment``
    is the person's reason; the request's policy may require one for some options. Without
    ``allow_override`` (prepared links), an admin's answer to a request assigned to others is
    refused instead of being recorded as an override.

    On a request that needs a quorum (``required_approvals``) the answer is a vote
    (:mod:`airflow.hitl.services.votes`): it is recorded, and only the vote that brings its option
    to the number it needs completes the request, as below; the others return the request still
    pending.

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
    policy = row.answer_policy()
    if not decision.allowed and is_vote(policy) and (vote := own_vote(session, row, user)) is not None:
        raise AlreadyVoted(f"You may not vote twice: {describe_vote(vote)}")
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
    if problem := comment_problem(policy, chosen_options, comment):
        raise InvalidComment([{"loc": ["body", "comment"], "msg": problem, "type": "value_error"}])

    due_at = resume_due_at(row)
    settle_window_open = now < due_at
    if settle_window_open and row.deadline is not None and due_at + _takeover_time() >= row.deadline:
        raise RequestClosed(
            "This request takes no answers now: the task cannot be resumed safely before "
            f"{due_at.isoformat()} (it deferred moments ago), and its deadline "
            f"{row.deadline.isoformat()} comes too soon after that to be sure the answer reaches it"
        )
    comment = normalize_comment(comment)
    if is_vote(policy):
        reached = cast_vote(
            session,
            row,
            user,
            option=chosen_options[0],
            params_input=resolved_params,
            comment=comment,
            channel=channel,
            override=decision.override,
            now=now,
        )
        _audit(
            session, row, user, vote=(chosen_options[0], resolved_params, comment, channel, decision.override)
        )
        if not reached:
            session.commit()
            return row
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
            comment=comment,
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


def _audit(
    session: Session,
    row: HITLRequest,
    user: BaseUser,
    vote: tuple[str, Mapping[str, Any], str | None, str, bool] | None = None,
) -> None:
    """
    Airflow's audit log (``Log``): who answered what, through which channel. A vote towards a
    quorum is an entry of its own (``hitl.vote``); the vote that completes the request is followed
    by the answer's entry, like a single answer.
    """
    if vote is not None:
        option, values, comment, channel, override = vote
        chosen, params_input, event = [option], values, "hitl.vote"
    else:
        chosen, params_input, comment = row.chosen_options, row.params_input, row.comment
        channel, override = row.response_channel, row.override
        event = "hitl.override" if override else "hitl.respond"
    extra = {
        "chosen_options": chosen,
        "params_input": mask_params(row.params, params_input),
        "channel": channel,
        "override": override,
        "try_number": row.try_number,
    }
    if comment:
        extra["comment"] = comment
    session.add(
        Log(
            event=event,
            dag_id=row.dag_id,
            run_id=row.run_id,
            task_id=row.task_id,
            map_index=row.map_index,
            try_number=row.try_number,
            owner=user.get_name(),
            extra=str(extra),
        )
    )
