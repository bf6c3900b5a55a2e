"""Auth dependencies of the HITL routes, built on Airflow's auth manager (as core routes are)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.hitl.services.permissions import is_admin
from airflow.models.log import Log

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
    from airflow.api_fastapi.auth.managers.models.resource_methods import ResourceMethod

EVERY_DAG = "~"  # the path's dag_id for "all DAGs"


def dag_details_of(dag_id: str | None) -> DagDetails:
    """What an auth manager is asked about for the path's ``dag_id``: ``~`` (every DAG) is no DAG
    in particular, not a DAG named ``~``."""
    return DagDetails(id=None if dag_id == EVERY_DAG else dag_id)


def requires_access_dag_or_every_dag(
    method: ResourceMethod, access_entity: DagAccessEntity
) -> Callable[[Request, BaseUser], None]:
    """
    Core's ``requires_access_dag``, except that ``~`` asks for access to some DAG rather than to
    a DAG with that id, for the list routes (their results are filtered to readable DAGs).

    Why: core passes ``~`` on as the DAG id, and the FAB auth manager then checks the permission
    ``DAG:~``, which nobody holds; only roles with access to every DAG passed, and a role with
    access to one DAG got 403 for its own requests. SimpleAuthManager ignores the id.
    """

    def inner(request: Request, user: GetUserDep) -> None:
        details = dag_details_of(request.path_params.get("dag_id"))
        if not get_auth_manager().is_authorized_dag(
            method=method, access_entity=access_entity, details=details, user=user
        ):
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Forbidden")

    return inner


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


class Audit:
    """
    One entry in Airflow's audit log (``Log``) for a route's change, named after the route
    (``hitl.create_hitl_group``, ...), with who made it, the path's parameters and the body. The
    route calls it right before it commits its change, so only changes that were made are logged.
    """

    def __init__(self, request: Request, session: Session, user: BaseUser, body: Any) -> None:
        self._request, self._session, self._user, self._body = request, session, user, body

    def __call__(self) -> None:
        self._session.add(
            Log(
                event=f"hitl.{self._request.scope['endpoint'].__name__}",
                owner=self._user.get_name(),
                extra=json.dumps({"path": dict(self._request.path_params), "body": self._body}, default=str),
            )
        )


async def audit_of(request: Request, session: SessionDep, user: GetUserDep) -> Audit:
    body = await request.body()  # checked by BodyLimitsMiddleware; FastAPI keeps it for the route
    try:
        content: Any = json.loads(body) if body else None
    except ValueError:
        content = None
    return Audit(request, session, user, content)


AuditDep = Annotated[Audit, Depends(audit_of)]
