"""REST routes for human-in-the-loop requests (``/api/v2/...hitlDetails``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep, paginated_select
from airflow.api_fastapi.common.router import AirflowRouter
from airflow.api_fastapi.core_api.openapi.exceptions import create_openapi_http_exception_doc
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from airflow.hitl.api.datamodels.hitl_details import (
    HITLDetail,
    HITLDetailCollection,
    HITLDetailResponse,
    HITLUser,
    ReaderContext,
    UpdateHITLDetailPayload,
)
from airflow.hitl.api.parameters import (
    PathMapIndex,
    PathTryNumber,
    QueryBodySearch,
    QueryCreatedAtRange,
    QueryDagIdPattern,
    QueryDeadlineRange,
    QueryHITLSort,
    QueryLimit,
    QueryOffset,
    QueryStatus,
    QuerySubjectSearch,
    QueryTaskIdPattern,
    refuse_nul_in_url,
)
from airflow.hitl.api.security import ReadableDagIdsDep, editable_dag_ids, requires_access_dag_or_every_dag
from airflow.hitl.models import HITLRequest, HITLStatus
from airflow.hitl.services.inbox import assigned_to_group, assigned_to_user, waiting_for_user
from airflow.hitl.services.registry import TaskKey, same_task
from airflow.hitl.services.requests import get_request
from airflow.hitl.services.respond import may_answer_now, respond_to_request
from airflow.models.taskinstance import TaskInstance as TI

# Like Airflow's public API: every route may answer 401 (no or bad token) and 403 (no access).
hitl_router = AirflowRouter(
    tags=["HumanInTheLoop"],
    dependencies=[Depends(refuse_nul_in_url)],
    responses=create_openapi_http_exception_doc([status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN]),
)

TASK_PATH = "/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"
LIST_PATH = "/dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails"
ALL = "~"

# The channels a client may name; "link" answers come only through prepared links.
AnswerChannel = Literal["api", "ui", "cli"]


def read_as(user: BaseUser, row: HITLRequest, ti_state: Any) -> HITLDetail:
    """The API shape of a stored request, masked for ``user`` (see ``RequestForReader``)."""
    context: ReaderContext = {"reader_id": str(user.get_id()), "ti_state": ti_state}
    return HITLDetail.model_validate(row, context=context)


def with_ti_state():
    """Requests joined with the state of the task instance, when it is still on the same try."""
    return select(HITLRequest, TI.state).outerjoin(
        TI, (same_task(HITLRequest)) & (TI.try_number == HITLRequest.try_number)
    )


def read_request(session: Session, task: TaskKey, try_number: int | None, user: BaseUser) -> HITLDetail:
    """One request (the latest try's, or ``try_number``'s) with its task state, or 404."""
    row = get_request(session, task, try_number=try_number)
    ti_state = session.scalar(select(TI.state).where(same_task(row), TI.try_number == row.try_number))
    decision = may_answer_now(session, user, row)
    return read_as(user, row, ti_state).model_copy(
        update={
            "can_respond": decision.allowed,
            "respond_as_override": decision.override,
            "cannot_respond_reason": None if decision.allowed else decision.reason,
        }
    )


@hitl_router.get(
    LIST_PATH,
    responses=create_openapi_http_exception_doc([status.HTTP_400_BAD_REQUEST]),
    dependencies=[Depends(requires_access_dag_or_every_dag("GET", DagAccessEntity.TASK_INSTANCE))],
)
def list_hitl_details(
    dag_id: str,
    dag_run_id: str,
    user: GetUserDep,
    readable_dag_ids: ReadableDagIdsDep,
    session: SessionDep,
    limit: QueryLimit,
    offset: QueryOffset,
    order_by: QueryHITLSort,
    dag_id_pattern: QueryDagIdPattern,
    task_id_pattern: QueryTaskIdPattern,
    subject_search: QuerySubjectSearch,
    body_search: QueryBodySearch,
    created_at: QueryCreatedAtRange,
    deadline: QueryDeadlineRange,
    state: QueryStatus = None,
    task_id: str | None = None,
    assigned_to_me: Annotated[
        bool, Query(description="Only requests assigned to the caller or their groups")
    ] = False,
    for_me: Annotated[
        bool,
        Query(
            description="Only requests waiting for the caller: assigned to them or their groups, "
            "or assigned to nobody in a DAG they may edit"
        ),
    ] = False,
    assigned_group: Annotated[str | None, Query(description="Only requests assigned to this group")] = None,
    responded_by_user_id: str | None = None,
) -> HITLDetailCollection:
    """Requests of a DAG run (``~`` for all DAGs or all runs), newest first by default."""
    # The page's ids first (the filters and the sort read only indexed columns), then the 50 rows
    # with their task state: joining the task instances before the limit cost a lookup per match
    # (10,000 pending: 20-60 ms; see contributing-docs/architecture.md, "Inbox queries").
    query = select(HITLRequest.id).where(HITLRequest.dag_id.in_(readable_dag_ids))
    if dag_id != ALL:
        query = query.where(HITLRequest.dag_id == dag_id)
    if dag_run_id != ALL:
        query = query.where(HITLRequest.run_id == dag_run_id)
    if state:
        query = query.where(HITLRequest.status.in_([s.value for s in state]))
    if task_id:
        query = query.where(HITLRequest.task_id == task_id)
    if assigned_to_me:
        query = query.where(assigned_to_user(session, user))
    if for_me:
        # Asked of the auth manager only when filtered on: most list calls do not need it.
        query = query.where(waiting_for_user(session, user, editable_dag_ids(user)))
    if assigned_group:
        query = query.where(assigned_to_group(assigned_group))
    if responded_by_user_id:
        query = query.where(HITLRequest.responded_by_id == responded_by_user_id)
    query, total = paginated_select(
        statement=query,
        filters=[dag_id_pattern, task_id_pattern, subject_search, body_search, created_at, deadline],
        order_by=order_by,
        offset=offset,
        limit=limit,
        session=session,
    )
    page = list(session.scalars(query))
    found = {
        row.id: (row, ti_state)
        for row, ti_state in session.execute(with_ti_state().where(HITLRequest.id.in_(page)))
    }
    return HITLDetailCollection(
        hitl_details=[read_as(user, *found[request_id]) for request_id in page if request_id in found],
        total_entries=total,
    )


@hitl_router.get(
    TASK_PATH,
    responses=create_openapi_http_exception_doc([status.HTTP_404_NOT_FOUND]),
    dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE))],
)
def get_hitl_detail(
    dag_id: str, dag_run_id: str, task_id: str, map_index: PathMapIndex, user: GetUserDep, session: SessionDep
) -> HITLDetail:
    """The request of the task instance's latest try."""
    return read_request(session, (dag_id, dag_run_id, task_id, map_index), None, user)


@hitl_router.get(
    TASK_PATH + "/tries/{try_number}",
    responses=create_openapi_http_exception_doc([status.HTTP_404_NOT_FOUND]),
    dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE))],
)
def get_hitl_detail_try(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: PathMapIndex,
    try_number: PathTryNumber,
    user: GetUserDep,
    session: SessionDep,
) -> HITLDetail:
    """The request (and answer) of one try of the task instance: earlier tries are kept as history."""
    return read_request(session, (dag_id, dag_run_id, task_id, map_index), try_number, user)


@hitl_router.patch(
    TASK_PATH,
    responses=create_openapi_http_exception_doc(
        [
            status.HTTP_400_BAD_REQUEST,
            status.HTTP_403_FORBIDDEN,
            status.HTTP_404_NOT_FOUND,
            status.HTTP_409_CONFLICT,
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        ]
    ),
    # 422 keeps FastAPI's own documentation: a list of {loc, msg, type}, like every 422 here.
    # Read access is only the entry condition, on purpose: who may answer is decided per request
    # by permissions.decide_responder (assigned users and groups need only read access to the DAG;
    # unassigned requests need edit access to its task instances; admins override).
    dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.TASK_INSTANCE))],
)
def update_hitl_detail(
    dag_id: str,
    dag_run_id: str,
    task_id: str,
    map_index: PathMapIndex,
    body: UpdateHITLDetailPayload,
    user: GetUserDep,
    session: SessionDep,
    x_hitl_channel: Annotated[
        AnswerChannel, Header(description="Through which client the answer came: api, ui or cli")
    ] = "api",
) -> HITLDetailResponse:
    """
    Answer the request of the task instance's latest try; the first valid answer wins.

    400: an option that is not offered, or too many; 403: not allowed to answer (says why);
    404: no such request; 409: answered, expired or cancelled; 413: a body over ``[hitl]
    max_answer_bytes``; 422: a malformed body, invalid form values, or a missing or too long
    comment (``loc`` ``["body", "comment"]``).
    """
    # Refusals (HITLServiceError) become their HTTP status in the app's exception handler; the
    # session dependency rolls back what the attempt wrote.
    row = respond_to_request(
        session,
        task=(dag_id, dag_run_id, task_id, map_index),
        user=user,
        chosen_options=body.chosen_options,
        params_input=body.params_input,
        channel=x_hitl_channel,
        comment=body.comment,
    )
    return answer_of(session, row, user)


def answer_of(session: Session, row: HITLRequest, user: BaseUser) -> HITLDetailResponse:
    """What an answer recorded: the request's answer, or the caller's vote while a quorum waits."""
    session.expire(row, ["votes"])
    votes = read_as(user, row, None).votes
    if row.status == HITLStatus.RESPONDED.value:
        return HITLDetailResponse(
            responded_by=HITLUser.model_validate(row.responded_by_user),
            responded_at=row.responded_at,
            chosen_options=row.chosen_options or [],
            params_input=row.params_input or {},
            comment=row.comment,
            status=row.status,
            votes=votes,
        )
    mine = next(vote for vote in votes if vote.user.id == str(user.get_id()))
    return HITLDetailResponse(
        responded_by=mine.user,
        responded_at=mine.voted_at,
        chosen_options=mine.chosen_options,
        params_input=mine.params_input or {},
        comment=mine.comment,
        status=row.status,
        votes=votes,
    )
