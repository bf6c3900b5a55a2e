"""The "Required Actions" entry in the Airflow UI's navigation bar.

Airflow 3.0's UI has no slot for a plugin's nav entry (without the FAB provider), so the entry is
added as a progressive enhancement: :class:`NavEntryMiddleware`, a root middleware, adds one
``<script>`` tag to the HTML shell the API server returns for UI pages, and that script
(``static/nav-entry.js``, served by the plugin app at ``/hitl/static/nav-entry.js``) adds a link
next to Airflow's own nav buttons with the caller's pending count. If Airflow's markup differs, the
script adds nothing; the Required Actions pages work without it.

The same middleware adds the Required Actions app's entry script (the ``<script type="module">``
and ``<link>`` tags Vite wrote into the build's ``index.html``). On Airflow's pages it only adds
the quick-action drawer behind the nav entry (the rest of the app loads when the drawer opens); at
``/required_actions`` Airflow's own page is served (``ui_serving``) and the app renders into its
content area, so Airflow's navigation stays.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import FileResponse

from airflow.hitl import __version__
from airflow.hitl.api.paths import route_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
UI_DIST = Path(__file__).resolve().parents[1] / "ui_dist"
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
    "/static/",
    "/docs",
    "/redoc",
    "/pluginsv2",
)

HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
# The shell is about 600 bytes; anything far larger is not it and is passed on unchanged.
MAX_SHELL_BYTES = 256 * 1024


# The tags of the build's index.html that load the app: its module script, preloads, styles.
APP_TAG = re.compile(
    rb"<script\b[^>]*\btype=\"module\"[^>]*>\s*</script>|<link\b[^>]*\brel=\"(?:modulepreload|stylesheet)\"[^>]*>",
    re.IGNORECASE,
)

_app_tags_cache: dict[Path, tuple[float, bytes]] = {}


def app_entry_tags(dist: Path = UI_DIST) -> bytes:
    """The tags that load the built app (empty without a build); re-read when the build changes."""
    index = dist / "index.html"
    try:
        mtime = index.stat().st_mtime
    except OSError:
        return b""
    cached = _app_tags_cache.get(dist)
    if cached is None or cached[0] != mtime:
        cached = (mtime, b"".join(APP_TAG.findall(index.read_bytes())))
        _app_tags_cache[dist] = cached
    return cached[1]


def add_script(page: bytes, tag: bytes = SCRIPT_TAG) -> bytes:
    """``page`` with ``tag`` placed before ``</head>``; unchanged if it has no head or has the tag."""
    if not tag or tag in page:
        return page
    match = HEAD_END.search(page)
    if match is None:
        return page
    return page[: match.start()] + tag + page[match.start() :]


def add_nav_entry(page: bytes, dist: Path = UI_DIST) -> bytes:
    """``page`` with the nav-entry script and the entry tags of the app built into ``dist``."""
    return add_script(add_script(page), app_entry_tags(dist))


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


async def rewrite_html(
    app: Any,
    scope: dict[str, Any],
    receive: Any,
    send: Any,
    change: Callable[[bytes], bytes],
    headers: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    """
    Runs ``app`` and answers with its uncompressed HTML page changed by ``change`` (and ``headers``
    set), with a matching ``Content-Length``. Anything else, a compressed page or one beyond
    :data:`MAX_SHELL_BYTES` is passed on unchanged.
    """
    extra = list(headers)
    start: dict[str, Any] | None = None
    body: list[bytes] = []
    size = 0
    passing_through = False

    async def send_changed(message: dict[str, Any]) -> None:
        nonlocal start, size, passing_through
        if passing_through:
            await send(message)
            return
        if message["type"] == "http.response.start":
            original = list(message.get("headers", []))
            content_type = _header(original, b"content-type") or b""
            # Airflow's GZip middleware is outside this one, so the shell arrives
            # uncompressed; a compressed body from anywhere else is left alone.
            if not content_type.startswith(b"text/html") or _header(original, b"content-encoding"):
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
        page = change(b"".join(body))
        replaced = {b"content-length", *(name for name, _ in extra)}
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in replaced]
        kept += [*extra, (b"content-length", str(len(page)).encode())]
        await send({**start, "headers": kept})
        await send({"type": "http.response.body", "body": page, "more_body": False})

    await app(scope, receive, send_changed)


class NavEntryMiddleware:
    """Root middleware: adds the nav entry and the app's entry to uncompressed HTML pages of
    Airflow's UI."""

    def __init__(self, app: Any, dist: Path = UI_DIST) -> None:
        self.app = app
        self.dist = dist

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not may_be_ui_page(scope):
            await self.app(scope, receive, send)
            return
        await rewrite_html(self.app, scope, receive, send, lambda page: add_nav_entry(page, self.dist))


NAV_SCRIPT_ROUTE = "/static/nav-entry.js"


def nav_entry_script() -> FileResponse:
    """The script that adds the nav entry; revalidated by browsers (it is tiny, and versioned)."""
    return FileResponse(
        NAV_SCRIPT,
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
