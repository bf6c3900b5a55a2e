"""The feature's FastAPI apps.

* :func:`create_api_app`: the REST routes at Airflow's own paths (``/api/v2/...hitlDetails``).
  Airflow 3.0 mounts plugin apps before its own routes, so a mount at ``/api/v2`` would hide all
  of core's API; :class:`airflow.hitl.api.middleware.HITLRoutesMiddleware` hands exactly the HITL
  paths to this app instead and lets everything else through.
* :func:`create_plugin_app`: mounted by the plugin at ``/hitl``; its lifespan runs the request
  lifecycle (:mod:`airflow.hitl.services.lifecycle`), and it serves the OpenAPI document of the routes above, the prepared-link pages
  (``/hitl/links/...``) and the script of the Airflow UI's nav entry
  (``/hitl/static/nav-entry.js``, see :mod:`airflow.hitl.api.nav_entry`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from airflow.hitl import __version__
from airflow.hitl.api.body_limits import BodyLimitsMiddleware
from airflow.hitl.api.nav_entry import NAV_SCRIPT_ROUTE, nav_entry_script
from airflow.hitl.api.routes.hitl_counts import counts_router
from airflow.hitl.api.routes.hitl_details import hitl_router
from airflow.hitl.api.routes.hitl_groups import groups_router
from airflow.hitl.api.routes.prepared_links import link_refusal_response, links_router
from airflow.hitl.services.errors import HITLServiceError
from airflow.hitl.services.lifecycle import request_lifecycle
from airflow.hitl.services.prepared_links import LinkRefused

log = logging.getLogger(__name__)

API_PREFIX = "/api/v2"
PLUGIN_PREFIX = "/hitl"


def create_api_app() -> FastAPI:
    app = FastAPI(
        title="Airflow Human-in-the-loop API",
        version=__version__,
        description="Find, read and answer human-in-the-loop requests of Airflow DAGs.",
        openapi_url=f"{API_PREFIX}/hitl/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.include_router(hitl_router, prefix=API_PREFIX)
    app.include_router(counts_router, prefix=API_PREFIX)
    app.include_router(groups_router, prefix=API_PREFIX)
    app.add_exception_handler(HITLServiceError, service_error_response)
    # Before FastAPI reads a body (and so before authentication): size first, then JSON rules.
    app.add_middleware(BodyLimitsMiddleware)
    return app


def service_error_response(request: Request, err: Exception) -> JSONResponse:
    """A refused operation of the services (:mod:`airflow.hitl.services.errors`) as its HTTP answer,
    in FastAPI's shape (``{"detail": ...}``): the one place where refusals are translated."""
    assert isinstance(err, HITLServiceError)
    return JSONResponse({"detail": err.detail}, status_code=err.status_code)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The request lifecycle: registers, times out, closes and resumes requests with nobody reading.
    request_lifecycle.start()
    yield
    request_lifecycle.stop()


def create_plugin_app() -> FastAPI:
    app = FastAPI(
        title="Airflow Human-in-the-loop", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None
    )

    @app.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict:
        return api_app().openapi()

    app.add_api_route(NAV_SCRIPT_ROUTE, nav_entry_script, include_in_schema=False)
    app.include_router(links_router)
    # Refused links answer in the link page's shape; handlers go by the most specific class.
    app.add_exception_handler(LinkRefused, link_refusal_response)
    app.add_exception_handler(HITLServiceError, service_error_response)
    # The link page's confirmation is a body too: the same limits as the API's.
    app.add_middleware(BodyLimitsMiddleware)
    return app


_api_app: FastAPI | None = None


def api_app() -> FastAPI:
    global _api_app
    if _api_app is None:
        _api_app = create_api_app()
    return _api_app
