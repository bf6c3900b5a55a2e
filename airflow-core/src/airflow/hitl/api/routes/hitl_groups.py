"""REST routes for responder groups (``/api/v2/hitl/groups``)."""

from __future__ import annotations

from fastapi import Depends, status

from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.common.router import AirflowRouter
from airflow.api_fastapi.core_api.openapi.exceptions import create_openapi_http_exception_doc
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.hitl.api.datamodels.hitl_groups import (
    HITLGroupBody,
    HITLGroupCollection,
    HITLGroupPatchBody,
    HITLGroupResponse,
)
from airflow.hitl.api.parameters import PathUserId, refuse_nul_in_url
from airflow.hitl.api.security import AuditDep, require_admin
from airflow.hitl.models import HITLGroup
from airflow.hitl.services import groups as group_service

groups_router = AirflowRouter(
    prefix="/hitl",
    tags=["HumanInTheLoop"],
    dependencies=[Depends(refuse_nul_in_url)],
    responses=create_openapi_http_exception_doc([status.HTTP_401_UNAUTHORIZED, status.HTTP_403_FORBIDDEN]),
)


def to_response(group: HITLGroup) -> HITLGroupResponse:
    return HITLGroupResponse(
        name=group.name,
        description=group.description,
        follows_role=group.follows_role,
        members=sorted(member.user_id for member in group.members),
        created_at=group.created_at,
    )


def _group_ref(suffix: str, method: str) -> str:
    """A JSON pointer to a group operation of the published document (``/`` escaped as ``~1``)."""
    return "#/paths/" + ("/api/v2/hitl/groups/{name}" + suffix).replace("/", "~1") + "/" + method


# OpenAPI links: which later calls take the group (and member) an answer names, for clients
# (and tools) that chain calls.
_GROUP_IN_BODY = {"name": "$response.body#/name"}
CREATED_GROUP_LINKS = {
    "GetGroup": {"operationRef": _group_ref("", "get"), "parameters": _GROUP_IN_BODY},
    "ChangeGroup": {"operationRef": _group_ref("", "patch"), "parameters": _GROUP_IN_BODY},
    "AddMember": {"operationRef": _group_ref("/members/{user_id}", "put"), "parameters": _GROUP_IN_BODY},
    "DeleteGroup": {"operationRef": _group_ref("", "delete"), "parameters": _GROUP_IN_BODY},
}
ADDED_MEMBER_LINKS = {
    "RemoveMember": {
        "operationRef": _group_ref("/members/{user_id}", "delete"),
        "parameters": {**_GROUP_IN_BODY, "user_id": "$request.path.user_id"},
    },
    "GetGroup": CREATED_GROUP_LINKS["GetGroup"],
}


@groups_router.get("/groups")
def list_hitl_groups(user: GetUserDep, session: SessionDep) -> HITLGroupCollection:
    """All responder groups with their members (any authenticated user may read them)."""
    groups = group_service.list_groups(session)
    return HITLGroupCollection(groups=[to_response(g) for g in groups], total_entries=len(groups))


@groups_router.get("/groups/{name}", responses=create_openapi_http_exception_doc([status.HTTP_404_NOT_FOUND]))
def get_hitl_group(name: str, user: GetUserDep, session: SessionDep) -> HITLGroupResponse:
    return to_response(group_service.get_group(session, name))


@groups_router.post(
    "/groups",
    status_code=status.HTTP_201_CREATED,
    responses={
        **create_openapi_http_exception_doc(
            [status.HTTP_403_FORBIDDEN, status.HTTP_409_CONFLICT, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE]
        ),
        status.HTTP_201_CREATED: {"links": CREATED_GROUP_LINKS},
    },
    dependencies=[Depends(require_admin)],
)
def create_hitl_group(body: HITLGroupBody, session: SessionDep, audit: AuditDep) -> HITLGroupResponse:
    """Create a responder group (admins only); members apply to pending requests at once."""
    group = group_service.create_group(
        session,
        name=body.name,
        description=body.description,
        follows_role=body.follows_role,
        members=body.members,
    )
    audit()
    session.commit()
    return to_response(group)


@groups_router.patch(
    "/groups/{name}",
    responses=create_openapi_http_exception_doc(
        [status.HTTP_403_FORBIDDEN, status.HTTP_404_NOT_FOUND, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE]
    ),
    dependencies=[Depends(require_admin)],
)
def patch_hitl_group(
    name: str, body: HITLGroupPatchBody, session: SessionDep, audit: AuditDep
) -> HITLGroupResponse:
    group = group_service.update_group(
        session,
        name,
        description=body.description,
        follows_role=body.follows_role,
        fields=body.model_fields_set,
    )
    audit()
    session.commit()
    return to_response(group)


@groups_router.delete(
    "/groups/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_model=None,
    responses=create_openapi_http_exception_doc([status.HTTP_403_FORBIDDEN, status.HTTP_404_NOT_FOUND]),
    dependencies=[Depends(require_admin)],
)
def delete_hitl_group(name: str, session: SessionDep, audit: AuditDep) -> None:
    group_service.delete_group(session, name)
    audit()
    session.commit()


@groups_router.put(
    "/groups/{name}/members/{user_id}",
    responses={
        **create_openapi_http_exception_doc([status.HTTP_403_FORBIDDEN, status.HTTP_404_NOT_FOUND]),
        status.HTTP_200_OK: {"links": ADDED_MEMBER_LINKS},
    },
    dependencies=[Depends(require_admin)],
)
def add_hitl_group_member(
    name: str, user_id: PathUserId, session: SessionDep, audit: AuditDep
) -> HITLGroupResponse:
    """Add a member (idempotent)."""
    group, _ = group_service.add_member(session, name, user_id)
    audit()
    session.commit()
    return to_response(group)


@groups_router.delete(
    "/groups/{name}/members/{user_id}",
    responses=create_openapi_http_exception_doc([status.HTTP_403_FORBIDDEN, status.HTTP_404_NOT_FOUND]),
    dependencies=[Depends(require_admin)],
)
def remove_hitl_group_member(
    name: str, user_id: str, session: SessionDep, audit: AuditDep
) -> HITLGroupResponse:
    group = group_service.remove_member(session, name, user_id)
    audit()
    session.commit()
    return to_response(group)
