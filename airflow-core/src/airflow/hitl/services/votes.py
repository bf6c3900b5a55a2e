"""Votes towards a quorum (``required_approvals``): recorded one per person, counted per option.

A request whose policy needs more than one vote for an option takes each answer as a vote. The
vote is inserted while the task instance's row is locked (as every answer is), and the table's
unique key ``(request_id, user_id)`` refuses a second vote of the same person even from another
API server. The vote that brings its option to the number it needs completes the request through
the same conditional UPDATE a single answer uses, so the request is completed, and its task
resumed, exactly once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from airflow.hitl.models import HITLRequest, HITLVote
from airflow.hitl.policy import votes_needed
from airflow.hitl.services.errors import Conflict

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy.orm import Session

    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser


class AlreadyVoted(Conflict):
    """The person has a vote on this request already (409)."""


def own_vote(session: Session, row: HITLRequest, user: BaseUser) -> HITLVote | None:
    return session.scalar(
        select(HITLVote).where(HITLVote.request_id == row.id, HITLVote.user_id == str(user.get_id()))
    )


def describe_vote(vote: HITLVote) -> str:
    return f"you voted {vote.chosen_option!r} at {vote.voted_at.isoformat()}"


def tally(session: Session, row: HITLRequest) -> dict[str, int]:
    """Votes so far per option."""
    counted = session.execute(
        select(HITLVote.chosen_option, func.count())
        .where(HITLVote.request_id == row.id)
        .group_by(HITLVote.chosen_option)
    )
    return {option: count for option, count in counted}


def describe_tally(row: HITLRequest, counts: Mapping[str, int]) -> str:
    """``Approve: 1 of 3, Reject: 0 of 1``: how far each option is from winning."""
    policy = row.answer_policy()
    return ", ".join(f"{o}: {counts.get(o, 0)} of {votes_needed(policy, o)}" for o in row.options)


def cast_vote(
    session: Session,
    row: HITLRequest,
    user: BaseUser,
    *,
    option: str,
    params_input: Mapping[str, Any],
    comment: str | None,
    channel: str,
    override: bool,
    now: datetime,
) -> bool:
    """
    Record ``user``'s vote for ``option``; True when it brings the option to its quorum.

    :raises AlreadyVoted: the person voted already (found first, or refused by the unique key).
    """
    earlier = own_vote(session, row, user)
    if earlier is not None:
        raise AlreadyVoted(f"You may not vote twice: {describe_vote(earlier)}")
    vote = HITLVote(
        request_id=row.id,
        user_id=str(user.get_id()),
        user_name=user.get_name(),
        chosen_option=option,
        params_input=dict(params_input),
        comment=comment,
        channel=channel,
        override=override,
        voted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(vote)
    except IntegrityError:
        raise AlreadyVoted(
            "You may not vote twice: your vote on this request was recorded just now"
        ) from None
    return tally(session, row).get(option, 0) >= votes_needed(row.answer_policy(), option)


def vote_records(session: Session, row: HITLRequest) -> list[dict[str, Any]]:
    """Every vote of ``row`` in the order they came, as the resume event and XCom carry them."""
    votes = session.scalars(select(HITLVote).where(HITLVote.request_id == row.id).order_by(HITLVote.id))
    return [vote.record() for vote in votes]
