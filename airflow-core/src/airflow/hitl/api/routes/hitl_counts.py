"""REST route for the inbox counts (``/api/v2/hitl/counts``): the nav badge and the inbox tabs."""

from __future__ import annotations

from fastapi import Depends, Query, status

from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.common.router import AirflowRouter
from airflow.api_fastapi.core_api.openapi.exceptions import create_openapi_http_exception_doc
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.hitl.api.datamodels.hitl_counts import HITLCounts
from airflow.hitl.api.parameters import refuse_nul_in_url
from airflow.hitl.api.security import EditableDagIdsDep, ReadableDagIdsDep
from airflow.hitl.services.inbox import count_by_status

counts_router = AirflowRouter(
    prefix="/hitl",
    tags=["HumanInTheLoop"],
    dependencies=[Depends(refuse_nul_in_url)],
    responses=create_openapi_http_exception_doc([status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN]),
)


@counts_router.get("/counts")
def get_hitl_counts(
    user: GetUserDep,
    readable_dag_ids: ReadableDagIdsDep,
    editable_dag_ids: EditableDagIdsDep,
    session: SessionDep,
    dag_id: str | None = Query(default=None, description="Count only this DAG's requests"),
) -> HITLCounts:
    """
    How many requests are in each status, and how many are pending for the caller (for badges):
    assigned to them or their groups, or assigned to nobody in a DAG they may edit.
    """
    dag_ids = readable_dag_ids & {dag_id} if dag_id else readable_dag_ids
    return HITLCounts(**count_by_status(session, dag_ids, user, editable_dag_ids))
