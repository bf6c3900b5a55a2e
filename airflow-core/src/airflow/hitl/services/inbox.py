"""Inbox queries: requests assigned to a user (directly or through groups), waiting for them, counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, func, or_, select

from airflow.hitl.models import HITLAssignee, HITLRequest, HITLStatus
from airflow.hitl.services.permissions import groups_of

if TYPE_CHECKING:
    from collections.abc import Collection

    from sqlalchemy.orm import Session
    from sqlalchemy.sql import ColumnElement

    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser


def assigned_to(user_id: str, groups: Collection[str]) -> ColumnElement[Any]:
    """SQL condition: the request is assigned to ``user_id`` or to one of ``groups`` (index-backed)."""
    principal = and_(HITLAssignee.kind == "user", HITLAssignee.principal == user_id)
    if groups:
        principal = or_(
            principal, and_(HITLAssignee.kind == "group", HITLAssignee.principal.in_(sorted(groups)))
        )
    return exists().where(HITLAssignee.request_id == HITLRequest.id, principal)


def assigned_to_group(group: str) -> ColumnElement[Any]:
    return exists().where(
        HITLAssignee.request_id == HITLRequest.id,
        HITLAssignee.kind == "group",
        HITLAssignee.principal == group,
    )


def assigned_to_user(session: Session, user: BaseUser) -> ColumnElement[Any]:
    """Requests assigned to ``user``, directly or through the responder groups they belong to now."""
    return assigned_to(str(user.get_id()), groups_of(session, user))


def waiting_for_user(
    session: Session, user: BaseUser, editable_dag_ids: Collection[str]
) -> ColumnElement[Any]:
    """
    Requests ``user`` is expected to answer: assigned to them (directly or through a group), or
    assigned to nobody in a DAG whose task instances they may edit (who may answer those).

    Admins' overrides of requests assigned to others are not counted: those wait for somebody else.
    """
    # A stored flag rather than NOT EXISTS over the assignees: an index range on
    # (status, has_assignees, dag_id) instead of a subplan per pending request.
    return or_(
        assigned_to_user(session, user),
        and_(HITLRequest.has_assignees.is_(False), HITLRequest.dag_id.in_(sorted(editable_dag_ids))),
    )


def count_by_status(
    session: Session, dag_ids: Collection[str], user: BaseUser, editable_dag_ids: Collection[str]
) -> dict[str, int]:
    """How many requests of the given DAGs are in each status, and how many wait for ``user``."""
    counts = {status.value: 0 for status in HITLStatus}
    readable = HITLRequest.dag_id.in_(sorted(dag_ids))
    for status, number in session.execute(
        select(HITLRequest.status, func.count()).where(readable).group_by(HITLRequest.status)
    ):
        counts[status] = number
    counts["pending_for_me"] = (
        session.scalar(
            select(func.count())
            .select_from(HITLRequest)
            .where(
                readable,
                HITLRequest.status == HITLStatus.PENDING.value,
                waiting_for_user(session, user, editable_dag_ids),
            )
        )
        or 0
    )
    return counts
