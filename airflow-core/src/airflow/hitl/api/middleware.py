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


class HITLRoutesMiddleware:
    """Hands requests for HITL paths to the HITL API app; passes everything else through."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._hitl_app: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and HITL_PATHS.match(route_path(scope)):
            if self._hitl_app is None:
                from airflow.hitl.api.app import api_app

                self._hitl_app = api_app()
            await self._hitl_app(scope, receive, send)
            return
        await self.app(scope, receive, send)


def route_path(scope: dict) -> str:
    """The request path without the ASGI root path (Airflow's ``[api] base_url`` path, if any)."""
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path
