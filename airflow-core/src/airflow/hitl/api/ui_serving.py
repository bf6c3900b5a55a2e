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
* every other path is a client-side route and gets **Airflow's own UI page** (never cached, so a
  new build is picked up at once): the request goes on to Airflow, whose catch-all route answers
  with its shell, ``nav_entry`` adds the app's entry script to it, and the app renders into the
  content area next to Airflow's navigation (Airflow itself shows "not found" there, which the
  app hides). The page gets a Content-Security-Policy; images load from the own origin,
  ``data:`` and the origins of ``[hitl] allowed_image_hosts`` only, which the page also names in
  a ``<meta name="hitl-allowed-image-sources">`` tag so that the app shows no other image;
* without a build, a page says how to build it instead of a bare 404.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

from airflow.hitl.api.middleware import PathRoutingMiddleware
from airflow.hitl.api.nav_entry import UI_DIST, rewrite_html
from airflow.hitl.api.paths import route_path
from airflow.hitl.config import get_settings

if TYPE_CHECKING:
    from collections.abc import Iterable

log = logging.getLogger(__name__)

UI_PREFIX = "/required_actions"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

IMAGE_SOURCES_META = "hitl-allowed-image-sources"

# An entry of [hitl] allowed_image_hosts: a host (its first label may be ``*``), optionally with
# an http(s) scheme and a port. Nothing else, since it goes into a header: no path, quote or ``;``.
IMAGE_HOST = re.compile(
    r"(?:(?P<scheme>https?)://)?(?P<host>(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(?P<port>[0-9]{1,5}))?/?",
    re.IGNORECASE,
)


def image_sources(entries: Iterable[str]) -> tuple[str, ...]:
    """
    The origins (``https://images.example.com``) that ``[hitl] allowed_image_hosts`` entries
    name, for ``img-src`` and the app; a host without a scheme means ``https``. An entry that is
    not a host or origin is left out with a warning, so its images stay blocked.
    """
    sources: list[str] = []
    for entry in entries:
        match = IMAGE_HOST.fullmatch(entry.strip())
        if match is None or int(match["port"] or 1) > 65535:
            log.warning(
                "[hitl] allowed_image_hosts: %r is not a host or origin (such as images.example.com, "
                "*.example.org or https://images.example.com:8443); its images are not loaded",
                entry,
            )
            continue
        source = f"{(match['scheme'] or 'https').lower()}://{match['host'].lower()}"
        if match["port"]:
            source += f":{match['port']}"
        if source not in sources:
            sources.append(source)
    return tuple(sources)


def content_security_policy(allowed_image_sources: Iterable[str] = ()) -> str:
    """
    The app talks only to its own origin and loads nothing from elsewhere: request bodies are
    Markdown written by DAG authors, so a script that slipped through rendering must still not
    run, and an image from another host would tell that host who opened the request and when.
    Images from ``allowed_image_sources`` are the one exception, as configured.
    """
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            " ".join(["img-src 'self' data:", *allowed_image_sources]),
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()

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
    """ASGI app serving the built single-page app from ``dist`` (see the module docstring);
    ``allowed_image_hosts`` defaults to ``[hitl] allowed_image_hosts``."""

    def __init__(self, dist: Path = UI_DIST, allowed_image_hosts: Iterable[str] | None = None) -> None:
        self.dist = dist.resolve()
        if allowed_image_hosts is None:
            allowed_image_hosts = get_settings().allowed_image_hosts
        self.image_sources = image_sources(allowed_image_hosts)
        self.content_security_policy = content_security_policy(self.image_sources)

    def response_for(self, method: str, path: str) -> Response | None:
        """The response for ``method`` on ``path`` (relative to the app's prefix); None for a
        client-side route, which gets Airflow's page (:meth:`airflow_page_headers`)."""
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
        return None

    def airflow_page_headers(self) -> list[tuple[bytes, bytes]]:
        """Headers set on Airflow's page when it hosts the app."""
        return [
            (b"cache-control", REVALIDATE.encode()),
            (b"content-security-policy", self.content_security_policy.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]

    def name_image_sources(self, page: bytes) -> bytes:
        """``page``, naming the allowed image origins when there are any."""
        if not self.image_sources:
            return page
        content = html.escape(" ".join(self.image_sources))
        meta = f'<meta name="{IMAGE_SOURCES_META}" content="{content}">'
        return page.replace(b"</head>", meta.encode() + b"</head>", 1)

    def _existing_file(self, relative: str) -> Path | None:
        if not relative:
            return None
        candidate = (self.dist / relative).resolve()
        # Never leave the build folder (``..`` or symlinks pointing elsewhere).
        if not candidate.is_relative_to(self.dist) or not candidate.is_file():
            return None
        return candidate

    async def serve(self, scope: dict[str, Any], receive: Any, send: Any, airflow: Any) -> None:
        """Answers a request for the app's paths; client-side routes get ``airflow``'s page."""
        path = route_path(scope)[len(UI_PREFIX) :]
        response = self.response_for(scope.get("method", "GET"), path)
        if response is None:
            await rewrite_html(
                airflow, scope, receive, send, self.name_image_sources, self.airflow_page_headers()
            )
        else:
            await response(scope, receive, send)


class RequiredActionsUIMiddleware(PathRoutingMiddleware):
    """Root middleware: ``/required_actions`` and below go to the Required Actions app (its files)
    or, for its client-side routes, to Airflow's page that hosts it."""

    def __init__(
        self, app: Any, dist: Path = UI_DIST, allowed_image_hosts: Iterable[str] | None = None
    ) -> None:
        super().__init__(app)
        self.dist = dist
        self.allowed_image_hosts = allowed_image_hosts

    def matches(self, path: str) -> bool:
        return is_ui_path(path)

    def target(self) -> RequiredActionsApp:
        return RequiredActionsApp(self.dist, self.allowed_image_hosts)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.matches(route_path(scope)):
            if self.routed_app is None:
                self.routed_app = self._build()
            await self.routed_app.serve(scope, receive, send, self.app)
            return
        await self.app(scope, receive, send)
