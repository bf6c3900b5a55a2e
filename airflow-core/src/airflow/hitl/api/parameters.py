"""Query parameters of the HITL list routes, built on Airflow's own parameter helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from airflow.api_fastapi.common.parameters import (
    RangeFilter,
    SortParam,
    _SearchParam,
    datetime_range_filter_factory,
    search_param_factory,
)
from airflow.hitl.models import HITLDetail, HITLStatus

# Integer columns hold 32-bit values; a larger number in a path would fail in the database driver.
INT32_MAX = 2**31 - 1
PathMapIndex = Annotated[int, Path(ge=-1, le=INT32_MAX, description="-1 for a task that is not mapped")]
PathTryNumber = Annotated[int, Path(ge=1, le=INT32_MAX)]

QueryDagIdPattern = Annotated[
    _SearchParam, Depends(search_param_factory(HITLDetail.dag_id, "dag_id_pattern"))
]
QueryTaskIdPattern = Annotated[
    _SearchParam, Depends(search_param_factory(HITLDetail.task_id, "task_id_pattern"))
]
QuerySubjectSearch = Annotated[
    _SearchParam, Depends(search_param_factory(HITLDetail.subject, "subject_search"))
]
QueryBodySearch = Annotated[_SearchParam, Depends(search_param_factory(HITLDetail.body, "body_search"))]
QueryCreatedAtRange = Annotated[RangeFilter, Depends(datetime_range_filter_factory("created_at", HITLDetail))]
QueryDeadlineRange = Annotated[RangeFilter, Depends(datetime_range_filter_factory("deadline", HITLDetail))]
QueryStatus = Annotated[
    list[HITLStatus] | None, Query(alias="status", description="pending, responded, timed_out, cancelled")
]
QueryHITLSort = Annotated[
    SortParam,
    Depends(
        SortParam(
            ["created_at", "deadline", "responded_at", "dag_id", "task_id", "run_id", "status", "subject"],
            HITLDetail,
            {"dag_run_id": "run_id"},
        ).dynamic_depends(default="-created_at")
    ),
]
