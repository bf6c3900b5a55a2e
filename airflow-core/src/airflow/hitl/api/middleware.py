"""Root ASGI middleware that routes the HITL REST paths to the feature's API app."""

from __future__ import annotations

import re
from typing import Any

HITL_PATHS = re.compile(
    r"^/api/v2/(?:"
    r"dags/[^/]+/dagRuns/[^/]+/hitlDetails"
    r"|dags/[^/]+/dagRuns/[^/]+/taskInstances/[^/]+/[^/]+/hitlDetails(?:/.*)?"
    r"|hitl(?:/.*)?"
    r")$"
)


class PathRoutingMiddleware:
    """Root ASGI middleware: HTTP requests whose path (without Airflow's root path) ``matches``
    go to the app ``target()`` builds on first use; everything else passes through untouched."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._target: Any = None

    def matches(self, path: str) -> bool:
        raise NotImplementedError

    def target(self) -> Any:
        raise NotImplementedError

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.matches(route_path(scope)):
            if self._target is None:
                self._target = self.target()
            await self._target(scope, receive, send)
            return
        await self.app(scope, receive, send)


class HITLRoutesMiddleware(PathRoutingMiddleware):
    """Hands requests for HITL paths to the HITL API app; passes everything else through."""

    def matches(self, path: str) -> bool:
        return bool(HITL_PATHS.match(path))

    def target(self) -> Any:
        from airflow.hitl.api.app import api_app

        return api_app()

    @property
    def _hitl_app(self) -> Any:
        return self._target

    @_hitl_app.setter
    def _hitl_app(self, app: Any) -> None:
        self._target = app


def route_path(scope: dict) -> str:
    """The request path without the ASGI root path (Airflow's ``[api] base_url`` path, if any)."""
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path
