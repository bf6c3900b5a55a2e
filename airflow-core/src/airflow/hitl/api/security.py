"""Auth dependencies of the HITL routes, built on Airflow's auth manager (as core routes are)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import GetUserDep


def readable_dag_ids(user: GetUserDep) -> set[str]:
    """DAG ids whose task instances the user may read (list queries are filtered to these)."""
    return get_auth_manager().get_authorized_dag_ids(user=user, method="GET")


ReadableDagIdsDep = Annotated[set[str], Depends(readable_dag_ids)]
