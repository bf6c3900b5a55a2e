"""Root ASGI middleware that routes the HITL REST paths to the feature's API app."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from airflow.hitl.api.paths import route_path

HITL_PATHS = re.compile(
    r"^/api/v2/(?:"
    r"dags/[^/]+/dagRuns/[^/]+/hitlDetails"
    r"|dags/[^/]+/dagRuns/[^/]+/taskInstances/[^/]+/[^/]+/hitlDetails(?:/.*)?"
    r"|hitl(?:/.*)?"
    r")$"
)


class PathRoutingMiddleware:
    """
    Root ASGI middleware: HTTP requests whose path (without Airflow's root path) ``matches`` go to
    the app ``build`` (default: :meth:`target`) makes on first use; everything else passes through
    untouched. Built lazily: Airflow loads plugins in processes that never serve a request.
    """

    def __init__(self, app: Any, build: Callable[[], Any] | None = None) -> None:
        self.app = app
        self._build = build or self.target
        self.routed_app: Any = None  # the app requests are handed to, once built

    def matches(self, path: str) -> bool:
        raise NotImplementedError

    def target(self) -> Any:
        raise NotImplementedError

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.matches(route_path(scope)):
            if self.routed_app is None:
                self.routed_app = self._build()
            await self.routed_app(scope, receive, send)
            return
        await self.app(scope, receive, send)


class HITLRoutesMiddleware(PathRoutingMiddleware):
    """Hands requests for HITL paths to the HITL API app; passes everything else through."""

    def matches(self, path: str) -> bool:
        return bool(HITL_PATHS.match(path))

    def target(self) -> Any:
        from airflow.hitl.api.app import api_app

        return api_app()
