"""Prepared links: the page a link opens (``GET``) and the call its script makes (``POST``).

A ``GET`` never acts, whoever sends it (a mail scanner, a link preview, ``curl``): it returns a
static page, the same for every link, that reflects nothing from the request. The page's script
reads the person's Airflow login (the UI keeps its token in ``localStorage``; after Airflow's
login page it is in the ``_token`` cookie) and ``POST``s the link with it as a bearer token. Only
that call checks the link and opens or answers the request, with the same authorisation and
validation as every other channel.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, status
from fastapi.responses import FileResponse, JSONResponse

from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.common.router import AirflowRouter
from airflow.api_fastapi.core_api.openapi.exceptions import create_openapi_http_exception_doc
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.hitl.api.datamodels.hitl_details import HITLUser
from airflow.hitl.api.datamodels.prepared_links import LinkOutcome, LinkRequest
from airflow.hitl.config import get_settings
from airflow.hitl.prepared_links import request_view_path
from airflow.hitl.services.prepared_links import LinkResult, use_link

links_router = AirflowRouter(prefix="/links", tags=["HumanInTheLoopLinks"])

PAGES = Path(__file__).resolve().parents[2] / "static" / "links"
ASSETS = {"link.js": "text/javascript", "link.css": "text/css"}

# The page runs one script of our own and talks only to its own origin; it may not be framed
# (a framed one-click action would be clickjacking), and the link, which carries the token, is
# never sent on as a referrer.
PAGE_HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "img-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@links_router.get("/assets/{name}", include_in_schema=False)
def link_asset(name: str) -> FileResponse:
    """The page's script and style sheet."""
    if name not in ASSETS:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    return FileResponse(
        PAGES / name,
        media_type=ASSETS[name],
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@links_router.get("/{link}", include_in_schema=False)
def link_page(link: str) -> FileResponse:
    """The page a prepared link opens; it does nothing by itself (see the module docstring)."""
    if not get_settings().prepared_links_enabled:
        return FileResponse(
            PAGES / "disabled.html", status_code=403, media_type="text/html", headers=PAGE_HEADERS
        )
    return FileResponse(PAGES / "page.html", media_type="text/html", headers=PAGE_HEADERS)


@links_router.post(
    "/{link}",
    response_model=LinkOutcome,
    responses=create_openapi_http_exception_doc(
        [
            status.HTTP_400_BAD_REQUEST,
            status.HTTP_401_UNAUTHORIZED,
            status.HTTP_403_FORBIDDEN,
            status.HTTP_404_NOT_FOUND,
            status.HTTP_409_CONFLICT,
            status.HTTP_410_GONE,
            status.HTTP_422_UNPROCESSABLE_ENTITY,
        ]
    ),
)
def use_prepared_link(link: str, user: GetUserDep, session: SessionDep) -> JSONResponse:
    """
    Open or answer a request through a prepared link, as the logged-in ``user``.

    200: opened (``redirect`` is the request's view) or answered; 400/404: not a valid link
    (garbled, altered, forged); 403: links are turned off, or the user may not do this; 409: the
    link was used, or the request takes no more answers; 410: the link expired; 422: the link's
    preset form values are refused. Every refusal changes nothing.
    """
    result = use_link(session, link, user, get_settings())
    return JSONResponse(
        to_outcome(result).model_dump(mode="json"),
        status_code=result.status_code,
        headers={"Cache-Control": "no-store"},
    )


def to_outcome(result: LinkResult) -> LinkOutcome:
    row = result.request
    request = None
    if row is not None:
        request = LinkRequest(
            dag_id=row.dag_id,
            dag_run_id=row.run_id,
            task_id=row.task_id,
            map_index=row.map_index,
            try_number=row.try_number,
            subject=row.subject,
            status=row.status,
            chosen_options=row.chosen_options,
            responded_by=HITLUser(**row.responded_by_user) if row.responded_by_user else None,
            responded_at=row.responded_at,
            view=request_view_path(row.dag_id, row.run_id, row.task_id, row.map_index),
        )
    return LinkOutcome(
        outcome=result.outcome,  # type: ignore[arg-type]
        title=result.title,
        message=result.message,
        redirect=result.redirect,
        request=request,
    )
