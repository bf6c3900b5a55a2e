"""Auth dependencies of the HITL routes, built on Airflow's auth manager (as core routes are)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.hitl.services.permissions import is_admin
from airflow.models.log import Log


def readable_dag_ids(user: GetUserDep) -> set[str]:
    """DAG ids whose task instances the user may read (list queries are filtered to these)."""
    return get_auth_manager().get_authorized_dag_ids(user=user, method="GET")


ReadableDagIdsDep = Annotated[set[str], Depends(readable_dag_ids)]


def editable_dag_ids(user: GetUserDep) -> set[str]:
    """DAG ids the user may edit: who may answer their unassigned requests."""
    return get_auth_manager().get_authorized_dag_ids(user=user, method="PUT")


EditableDagIdsDep = Annotated[set[str], Depends(editable_dag_ids)]


ADMIN_REQUIRED = (
    "Only HITL admins may manage responder groups: users whom the auth manager allows to change "
    "the configuration (section 'hitl', method PUT; FAB: 'can edit on Configurations')"
)


def require_admin(user: GetUserDep) -> None:
    """Managing responder groups is for HITL admins (:func:`~airflow.hitl.services.permissions.is_admin`)."""
    if not is_admin(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, ADMIN_REQUIRED)


async def audited(request: Request, session: SessionDep, user: GetUserDep) -> None:
    """
    Airflow's audit log (``Log``) gets one entry for the route's change, named after the route
    (``create_hitl_group``, ...) with who made it, the path's parameters and the body. It is added
    to the route's own session, so it is committed with the change and only with it.
    """
    body = await request.body()
    try:
        content: Any = json.loads(body) if body else None
    except ValueError:
        content = None
    session.add(
        Log(
            event=f"hitl.{request.scope['endpoint'].__name__}",
            owner=user.get_name(),
            extra=json.dumps({"path": dict(request.path_params), "body": content}, default=str),
        )
    )
