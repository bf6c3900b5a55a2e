"""Auth dependencies of the HITL routes, built on Airflow's auth manager (as core routes are)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.hitl.services.permissions import is_admin


def readable_dag_ids(user: GetUserDep) -> set[str]:
    """DAG ids whose task instances the user may read (list queries are filtered to these)."""
    return get_auth_manager().get_authorized_dag_ids(user=user, method="GET")


ReadableDagIdsDep = Annotated[set[str], Depends(readable_dag_ids)]


def editable_dag_ids(user: GetUserDep) -> set[str]:
    """DAG ids the user may edit: who may answer their unassigned requests."""
    return get_auth_manager().get_authorized_dag_ids(user=user, method="PUT")


EditableDagIdsDep = Annotated[set[str], Depends(editable_dag_ids)]


def require_admin(user: GetUserDep) -> None:
    """Managing responder groups is for Airflow admins (SimpleAuthManager ``admin``, FAB ``Admin``)."""
    if not is_admin(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Only Airflow admins may manage responder groups")
