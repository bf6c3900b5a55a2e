"""The "Required Actions" entry in the Airflow UI's navigation bar.

Airflow 3.0's UI has no slot for a plugin's nav entry (without the FAB provider), so the entry is
added as a progressive enhancement: :class:`NavEntryMiddleware`, a root middleware, adds one
``<script>`` tag to the HTML shell the API server returns for UI pages, and that script
(``static/nav-entry.js``, served by the plugin app at ``/hitl/static/nav-entry.js``) adds a link
next to Airflow's own nav buttons with the caller's pending count. If Airflow's markup differs, the
script adds nothing; the Required Actions pages work without it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.responses import FileResponse

from airflow.hitl import __version__
from airflow.hitl.api.paths import route_path

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
NAV_SCRIPT = STATIC_DIR / "nav-entry.js"

# Relative to the ``<base href>`` of Airflow's shell, so a deployment under a sub-path works too;
# the version makes browsers fetch the script again after an upgrade.
SCRIPT_TAG = f'<script src="hitl/static/nav-entry.js?v={__version__}" defer></script>'.encode()

# Paths whose HTML is not Airflow's UI shell: APIs, login, our own apps, API docs.
NOT_UI_PREFIXES = (
    "/api/",
    "/auth/",
    "/execution/",
    "/hitl/",
    "/required_actions",
    "/static/",
    "/docs",
    "/redoc",
    "/pluginsv2",
)

HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
# The shell is about 600 bytes; anything far larger is not it and is passed on unchanged.
MAX_SHELL_BYTES = 256 * 1024


def add_script(page: bytes, tag: bytes = SCRIPT_TAG) -> bytes:
    """``page`` with ``tag`` placed before ``</head>``; unchanged if it has no head or has the tag."""
    if tag in page:
        return page
    match = HEAD_END.search(page)
    if match is None:
        return page
    return page[: match.start()] + tag + page[match.start() :]


def may_be_ui_page(scope: dict[str, Any]) -> bool:
    """Whether a request may be answered with Airflow's UI shell (a GET outside the known APIs)."""
    if scope["type"] != "http" or scope.get("method") != "GET":
        return False
    path = route_path(scope)
    return not any(path == prefix.rstrip("/") or path.startswith(prefix) for prefix in NOT_UI_PREFIXES)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class NavEntryMiddleware:
    """Root middleware: adds the nav-entry script to uncompressed HTML pages of Airflow's UI."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not may_be_ui_page(scope):
            await self.app(scope, receive, send)
            return

        start: dict[str, Any] | None = None
        body: list[bytes] = []
        size = 0
        passing_through = False

        async def send_with_script(message: dict[str, Any]) -> None:
            nonlocal start, size, passing_through
            if passing_through:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                content_type = _header(headers, b"content-type") or b""
                # Airflow's GZip middleware is outside this one, so the shell arrives
                # uncompressed; a compressed body from anywhere else is left alone.
                if not content_type.startswith(b"text/html") or _header(headers, b"content-encoding"):
                    passing_through = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.append(message.get("body", b""))
            size += len(body[-1])
            if size > MAX_SHELL_BYTES:
                passing_through = True
                await send(start)
                await send({**message, "body": b"".join(body)})
                return
            if message.get("more_body", False):
                return
            page = add_script(b"".join(body))
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page, "more_body": False})

        await self.app(scope, receive, send_with_script)


NAV_SCRIPT_ROUTE = "/static/nav-entry.js"


def nav_entry_script() -> FileResponse:
    """The script that adds the nav entry; revalidated by browsers (it is tiny, and versioned)."""
    return FileResponse(
        NAV_SCRIPT,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
