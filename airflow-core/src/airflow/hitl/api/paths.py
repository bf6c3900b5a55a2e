"""Request paths as the feature's middlewares see them (no imports: every API module may use this)."""

from __future__ import annotations


def route_path(scope: dict) -> str:
    """The request path without the ASGI root path (Airflow's ``[api] base_url`` path, if any)."""
    path: str = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path
