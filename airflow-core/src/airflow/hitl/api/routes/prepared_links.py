"""Prepared links: the page a link opens (``GET``) and the calls its script makes (``POST``).

A ``GET`` never acts, whoever sends it (a mail scanner, a link preview, ``curl``): it returns a
static page, the same for every link, that reflects nothing from the request. The page's script
reads the person's Airflow login (the UI keeps its token in ``localStorage``; after Airflow's
login page it is in the ``_token`` cookie) and ``POST``s the link with it as a bearer token. Only
that call checks the link and opens or answers the request, with the same authorisation and
validation as every other channel; a link sent to a group answers only on a second ``POST`` with
``{"confirm": true}``, which the page sends when the person clicks (see
:mod:`airflow.hitl.services.prepared_links`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Body, HTTPException, Request, status
from fastapi.responses import FileResponse, JSONResponse

from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.common.router import AirflowRouter
from airflow.api_fastapi.core_api.openapi.exceptions import create_openapi_http_exception_doc
from airflow.api_fastapi.core_api.security import GetUserDep
from airflow.hitl.api.datamodels.prepared_links import LinkConfirmation, LinkOutcome, LinkRequest
from airflow.hitl.config import get_settings
from airflow.hitl.services.prepared_links import LinkRefused, use_link

links_router = AirflowRouter(prefix="/links", tags=["HumanInTheLoopLinks"])

PAGES = Path(__file__).resolve().parents[2] / "static" / "links"
ASSETS = {"link.js": "text/javascript", "link.css": "text/css"}
NO_STORE = {"Cache-Control": "no-store"}

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
    **NO_STORE,
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
def use_prepared_link(
    link: str,
    user: GetUserDep,
    session: SessionDep,
    body: Annotated[LinkConfirmation | None, Body()] = None,
) -> JSONResponse:
    """
    Open or answer a request through a prepared link, as the logged-in ``user``.

    200: opened (``redirect`` is the request's view), answered, or ``confirm`` (a link sent to a
    group answers only when called again with ``{"confirm": true}``, and a link whose option needs
    a comment only with ``{"confirm": true, "comment": "..."}``: ``comment_required``); 400/404: not a valid link
    (garbled, altered, forged); 403: links are turned off, the link was made for someone else, or
    the user may not do this; 409: the link was used, or the request takes no more answers; 410:
    the link expired; 422: the link's preset form values are refused. Every refusal changes
    nothing; refusals are answered by :func:`link_refusal_response`.
    """
    used = use_link(
        session,
        link,
        user,
        get_settings(),
        confirmed=bool(body and body.confirm),
        comment=body.comment if body else None,
    )
    outcome = LinkOutcome(
        outcome=used.outcome,  # type: ignore[arg-type]
        title=used.title,
        message=used.message,
        redirect=used.redirect,
        request=LinkRequest.model_validate(used.request),
        comment_required=used.comment_required,
    )
    return JSONResponse(outcome.model_dump(mode="json"), headers=NO_STORE)


def link_refusal_response(request: Request, err: Exception) -> JSONResponse:
    """A refused link (:class:`LinkRefused`) as the page's answer: its status and its words."""
    assert isinstance(err, LinkRefused)
    outcome = LinkOutcome(
        outcome=err.outcome,  # type: ignore[arg-type]
        title=err.title,
        message=str(err.detail),
        redirect=None,
        request=LinkRequest.model_validate(err.request) if err.request is not None else None,
    )
    return JSONResponse(outcome.model_dump(mode="json"), status_code=err.status_code, headers=NO_STORE)
