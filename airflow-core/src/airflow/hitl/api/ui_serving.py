"""Serves the built "Required Actions" app at ``/required_actions`` on Airflow's API server.

Airflow 3.0 answers every unknown path with its own UI (a catch-all route added after all other
routes). A plugin ``fastapi_apps`` mount at ``/required_actions`` would win against it for paths
*below* the prefix, but a Starlette mount never matches the bare prefix itself, so
``/required_actions`` (the inbox) would still get Airflow's page. A root middleware sees the
request before any route does: :class:`RequiredActionsUIMiddleware` hands the prefix and
everything below it to :class:`RequiredActionsApp` and passes all other requests through.

The app is a single-page application built by Vite (``ui/``) into ``airflow/hitl/ui_dist``:

* files that exist are served as they are; Vite's hashed ``assets/`` never change under a name,
  so browsers may keep them for a year; everything else must be revalidated;
* every other path is a client-side route and gets ``index.html`` (never cached, so a new build
  is picked up at once);
* without a build, a page says how to build it instead of a bare 404.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from airflow.hitl.api.middleware import PathRoutingMiddleware
from airflow.hitl.api.paths import route_path

UI_PREFIX = "/required_actions"
UI_DIST = Path(__file__).resolve().parents[1] / "ui_dist"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# The app talks only to its own origin and loads nothing from elsewhere; request bodies are
# Markdown written by DAG authors, so a script that slipped through rendering must still not run.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ]
)

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Required Actions: not built</title></head>
<body style="font-family: sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Required Actions is not built</h1>
<p>The web app for human-in-the-loop requests has not been built into this installation
(<code>{dist}</code> has no <code>index.html</code>).</p>
<p>From a checkout of the project, <code>scripts/run.sh</code> builds it, or build it alone with
<code>npm --prefix ui ci &amp;&amp; npm --prefix ui run build</code>, then reload this page.</p>
<p>Until then, requests can be answered through the REST API (<code>/api/v2/.../hitlDetails</code>).</p>
</body>
</html>
"""


def is_ui_path(path: str) -> bool:
    """Whether ``path`` (without Airflow's root path) belongs to the Required Actions app."""
    return path == UI_PREFIX or path.startswith(UI_PREFIX + "/")


class RequiredActionsApp:
    """ASGI app serving the built single-page app from ``dist`` (see the module docstring)."""

    def __init__(self, dist: Path = UI_DIST) -> None:
        self.dist = dist.resolve()

    def response_for(self, method: str, path: str) -> Response:
        """The response for ``method`` on ``path`` (relative to the app's prefix)."""
        if method not in ("GET", "HEAD"):
            return PlainTextResponse("Method Not Allowed", status_code=405, headers={"Allow": "GET, HEAD"})
        index = self.dist / "index.html"
        if not index.is_file():
            page = NOT_BUILT_PAGE.format(dist=html.escape(str(self.dist)))
            return HTMLResponse(page, status_code=503, headers={"Cache-Control": REVALIDATE})
        relative = path.lstrip("/")
        asset = self._existing_file(relative)
        if asset is not None and asset != index:
            cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
            return FileResponse(asset, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})
        if relative.startswith("assets/"):
            # A stale page asking for an asset of an older build: answering with index.html
            # would hand HTML to a <script> tag and hide the real problem.
            return PlainTextResponse("Not Found", status_code=404, headers={"Cache-Control": REVALIDATE})
        return FileResponse(
            index,
            media_type="text/html",
            headers={
                "Cache-Control": REVALIDATE,
                "Content-Security-Policy": CONTENT_SECURITY_POLICY,
                "X-Content-Type-Options": "nosniff",
            },
        )

    def _existing_file(self, relative: str) -> Path | None:
        if not relative:
            return None
        candidate = (self.dist / relative).resolve()
        # Never leave the build folder (``..`` or symlinks pointing elsewhere).
        if not candidate.is_relative_to(self.dist) or not candidate.is_file():
            return None
        return candidate

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = route_path(scope)[len(UI_PREFIX) :]
        response = self.response_for(scope.get("method", "GET"), path)
        await response(scope, receive, send)


class RequiredActionsUIMiddleware(PathRoutingMiddleware):
    """Root middleware: ``/required_actions`` and below go to the Required Actions app."""

    def __init__(self, app: Any, dist: Path = UI_DIST) -> None:
        super().__init__(app)
        self.dist = dist

    def matches(self, path: str) -> bool:
        return is_ui_path(path)

    def target(self) -> RequiredActionsApp:
        return RequiredActionsApp(self.dist)
