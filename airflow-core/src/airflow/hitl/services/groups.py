"""Responder groups: defined outside DAGs, looked up by name when a request is answered or listed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from airflow.hitl.models import HITLGroup, HITLGroupMember
from airflow.hitl.request import principal_problem
from airflow.hitl.services.errors import Conflict, Invalid, NotFound
from airflow.utils import timezone

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session


class GroupNotFound(NotFound):
    """No responder group of that name, or the user is not a member."""


class GroupExists(Conflict):
    """A responder group of that name exists already."""


class InvalidGroup(Invalid):
    """A group name that cannot be used."""


def _validated_name(name: str) -> str:
    problem = principal_problem("group", name)
    if problem:
        raise InvalidGroup(f"{problem[0].upper()}{problem[1:]}, got {name!r}")
    return name


def get_group(session: Session, name: str) -> HITLGroup:
    group = session.scalar(select(HITLGroup).where(HITLGroup.name == name))
    if group is None:
        raise GroupNotFound(f"No responder group named {name!r}")
    return group


def list_groups(session: Session) -> list[HITLGroup]:
    return list(session.scalars(select(HITLGroup).order_by(HITLGroup.name)))


def create_group(
    session: Session,
    *,
    name: str,
    description: str | None = None,
    follows_role: str | None = None,
    members: Iterable[str] = (),
) -> HITLGroup:
    name = _validated_name(name)
    group = HITLGroup(
        name=name, description=description, follows_role=follows_role, created_at=timezone.utcnow()
    )
    group.members = [HITLGroupMember(user_id=str(user_id)) for user_id in dict.fromkeys(members)]
    try:
        with session.begin_nested():
            session.add(group)
    except IntegrityError:
        raise GroupExists(f"A responder group named {name!r} exists already") from None
    return group


def update_group(
    session: Session, name: str, *, description: str | None, follows_role: str | None, fields: set[str]
) -> HITLGroup:
    """Change the given ``fields`` (``description``, ``follows_role``) of a group."""
    group = get_group(session, name)
    if "description" in fields:
        group.description = description
    if "follows_role" in fields:
        group.follows_role = follows_role
    session.flush()
    return group


def delete_group(session: Session, name: str) -> None:
    session.delete(get_group(session, name))
    session.flush()


def add_member(session: Session, name: str, user_id: str) -> tuple[HITLGroup, bool]:
    """Add a member (idempotent); returns the group and whether the user was added now."""
    group = get_group(session, name)
    if any(member.user_id == user_id for member in group.members):
        return group, False
    group.members.append(HITLGroupMember(user_id=user_id))
    session.flush()
    return group, True


def remove_member(session: Session, name: str, user_id: str) -> HITLGroup:
    group = get_group(session, name)
    member = next((m for m in group.members if m.user_id == user_id), None)
    if member is None:
        raise GroupNotFound(f"{user_id!r} is not a member of responder group {name!r}")
    group.members.remove(member)
    session.flush()
    return group
