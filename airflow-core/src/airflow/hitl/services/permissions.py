"""Who may answer a request, and how responder groups resolve to users."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import (
    ConfigurationDetails,
    DagAccessEntity,
    DagDetails,
)
from airflow.hitl.config import SECTION
from airflow.hitl.models import HITLGroup, HITLGroupMember, HITLRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser


@dataclass(frozen=True)
class Decision:
    """Whether a user may answer, whether that is an admin override, and why not (``closed``: the
    request takes no answers from anybody)."""

    allowed: bool
    override: bool = False
    reason: str = ""
    closed: bool = False


def user_roles(user: BaseUser) -> set[str]:
    """
    Role names of a user, lower-case (SimpleAuthManager: one role; FAB: several). They are data
    only, matched against a group's ``follows_role``; what a user may do is the auth manager's
    to say (:func:`is_admin`).
    """
    roles: set[str] = set()
    role = getattr(user, "role", None)
    if isinstance(role, str):
        roles.add(role.lower())
    for item in getattr(user, "roles", None) or []:
        name = getattr(item, "name", item)
        if isinstance(name, str):
            roles.add(name.lower())
    return roles


def is_admin(user: BaseUser) -> bool:
    """
    Whether the user is a HITL admin: may answer any request (recorded as an override) and
    manage responder groups. One auth-manager call decides, whatever the auth manager:
    ``is_authorized_configuration(method="PUT", details=ConfigurationDetails(section="hitl"))``,
    "may change the ``[hitl]`` configuration".

    Why that call: Airflow 3.0's API never changes the configuration, so the permission grants
    nothing else and is free to mean "administers this feature".

    * SimpleAuthManager lets ``op`` and ``admin`` change the configuration. No call of its
      ``BaseAuthManager`` interface passes for ``admin`` alone (every non-read call passes from
      ``op`` or ``user`` up; ``is_authorized_view`` and ``is_authorized_custom_view`` pass for
      every role, so they would make everyone an admin), so ``op`` is an admin too.
    * FAB maps it to the permission ``can edit`` on ``Configurations``, which no built-in role
      holds: grant it to ``Admin`` and to any custom role whose users should be HITL admins.
    * Auth managers that pass the section on to their policies (Keycloak's does, as the resource
      id) can grant the ``hitl`` section alone.
    """
    return get_auth_manager().is_authorized_configuration(
        method="PUT", details=ConfigurationDetails(section=SECTION), user=user
    )


def groups_of(session: Session, user: BaseUser) -> set[str]:
    """Responder groups the user belongs to: by membership, or by a role the group follows."""
    member_of = (
        select(HITLGroup.name).join(HITLGroupMember).where(HITLGroupMember.user_id == str(user.get_id()))
    )
    names = set(session.scalars(member_of))
    roles = user_roles(user)
    if roles:
        for name, role in session.execute(
            select(HITLGroup.name, HITLGroup.follows_role).where(HITLGroup.follows_role.is_not(None))
        ):
            if role.lower() in roles:
                names.add(name)
    return names


def can_access_dag(user: BaseUser, dag_id: str, method: Any) -> bool:
    return get_auth_manager().is_authorized_dag(
        method=method,
        access_entity=DagAccessEntity.TASK_INSTANCE,
        details=DagDetails(id=dag_id),
        user=user,
    )


def decide_responder(session: Session, user: BaseUser, row: HITLRequest) -> Decision:
    """
    Assigned requests: assigned users and members of assigned groups, who need only read access
    to the DAG. Unassigned requests: users who may edit the DAG's task instances. HITL admins
    (:func:`is_admin`) may always answer; answering somebody else's request is then recorded as an
    override.
    """
    user_id = str(user.get_id())
    assigned_ids = {str(u["id"]) for u in row.assigned_users or []}
    assigned_groups = set(row.assigned_groups or [])
    if assigned_ids or assigned_groups:
        if user_id in assigned_ids or groups_of(session, user) & assigned_groups:
            if can_access_dag(user, row.dag_id, "GET"):
                return Decision(True)
            return Decision(False, reason=f"you are assigned but cannot read DAG '{row.dag_id}'")
        if is_admin(user):
            return Decision(True, override=True)
        who = []
        if assigned_ids:
            who.append(f"users {sorted(assigned_ids)}")
        if assigned_groups:
            who.append(f"groups {sorted(assigned_groups)}")
        return Decision(
            False, reason=f"this request is assigned to {' and '.join(who)}; you are not among them"
        )
    if can_access_dag(user, row.dag_id, "PUT"):
        return Decision(True)
    return Decision(
        False,
        reason=f"this request is not assigned to anyone, so answering it needs edit access to DAG '{row.dag_id}'",
    )
