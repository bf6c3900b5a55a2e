"""Query parameters of the HITL list routes, built on Airflow's own parameter helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator

from airflow.api_fastapi.common.parameters import (
    LimitFilter,
    OffsetFilter,
    RangeFilter,
    SortParam,
    _SearchParam,
    datetime_range_filter_factory,
    search_param_factory,
)
from airflow.configuration import conf
from airflow.hitl.api.datamodels.text import NUL_MESSAGE, has_nul
from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.request import PRINCIPAL_MAX_LENGTH, PRINCIPAL_PATTERNS, principal_rule


def refuse_nul_in_url(request: Request) -> None:
    """A 422 for a path or query parameter holding a NUL character, which PostgreSQL cannot
    compare or store (see :mod:`airflow.hitl.api.datamodels.text`)."""
    errors = [
        {"loc": [where, name], "msg": NUL_MESSAGE, "type": "value_error"}
        for where, items in (
            ("path", request.path_params.items()),
            ("query", request.query_params.multi_items()),
        )
        for name, value in items
        if has_nul(value)
    ]
    if errors:
        raise RequestValidationError(errors)


# Integer columns hold 32-bit values; a larger number in a path would fail in the database driver.
INT32_MAX = 2**31 - 1
PathMapIndex = Annotated[int, Path(ge=-1, le=INT32_MAX, description="-1 for a task that is not mapped")]
PathTryNumber = Annotated[int, Path(ge=1, le=INT32_MAX)]
# A user id is stored in a column of that size; PostgreSQL refuses a longer one (a 500, not a 422).
PathUserId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=PRINCIPAL_MAX_LENGTH,
        json_schema_extra={"pattern": PRINCIPAL_PATTERNS["user"]},
    ),
    AfterValidator(principal_rule("user")),
]


def _limit(
    limit: Annotated[
        int, Query(ge=0, le=INT32_MAX, description="Page size, at most `[api] maximum_page_limit`")
    ] = 50,
) -> LimitFilter:
    # As Airflow documents `maximum_page_limit`: a larger limit is lowered to it, not refused.
    return LimitFilter().set_value(min(limit, conf.getint("api", "maximum_page_limit", fallback=100)))


def _offset(offset: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0) -> OffsetFilter:
    return OffsetFilter().set_value(offset)


# Bounded, unlike Airflow 3.0.6's own: a number beyond 64 bits made the database fail (a 500).
QueryLimit = Annotated[LimitFilter, Depends(_limit)]
QueryOffset = Annotated[OffsetFilter, Depends(_offset)]

QueryDagIdPattern = Annotated[
    _SearchParam, Depends(search_param_factory(HITLRequest.dag_id, "dag_id_pattern"))
]
QueryTaskIdPattern = Annotated[
    _SearchParam, Depends(search_param_factory(HITLRequest.task_id, "task_id_pattern"))
]
QuerySubjectSearch = Annotated[
    _SearchParam, Depends(search_param_factory(HITLRequest.subject, "subject_search"))
]
QueryBodySearch = Annotated[_SearchParam, Depends(search_param_factory(HITLRequest.body, "body_search"))]
QueryCreatedAtRange = Annotated[
    RangeFilter, Depends(datetime_range_filter_factory("created_at", HITLRequest))
]
QueryDeadlineRange = Annotated[RangeFilter, Depends(datetime_range_filter_factory("deadline", HITLRequest))]
QueryStatus = Annotated[
    list[HITLStatus] | None, Query(alias="status", description="pending, responded, timed_out, cancelled")
]
QueryHITLSort = Annotated[
    SortParam,
    Depends(
        SortParam(
            ["created_at", "deadline", "responded_at", "dag_id", "task_id", "run_id", "status", "subject"],
            HITLRequest,
            {"dag_run_id": "run_id"},
        ).dynamic_depends(default="-created_at")
    ),
]
