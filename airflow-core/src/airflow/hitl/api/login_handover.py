"""After FAB's login, the pages a person lands on get the Airflow UI's token.

FAB's login page (the FAB auth manager's ``/auth/login/``) signs the browser in with a Flask session
cookie and sends it on to ``next``. The token the Airflow UI and this feature's pages need is handed
out only by FAB's index view (``/auth/``), as the ``_token`` cookie, on its way to Airflow's home
page. So a person sent to the login from the Required Actions app or a prepared link came back signed
in but without a token; Airflow's page (or the link page) sent them to the login again, which, signed
in already, ended on Airflow's home page: the request they came for was lost.

This root middleware closes that gap on those pages only (``/required_actions`` and below, and the
prepared-link page): a browser's page load (``Accept: text/html``) that brings FAB's session cookie
and no ``_token`` is answered with the page plus the ``_token`` cookie FAB's index view issues for
that session. It asks FAB in-process, passing the browser's cookies on a ``GET /auth/`` through the
rest of the API server's stack; nothing leaves the server, and FAB decides everything (whether the
session is signed in and active, the token and its lifetime). The page's scripts then move the token
to ``localStorage``, as after any login. A browser that is not signed in gets nothing from FAB and
goes to the login as before. Under any other auth manager the middleware passes everything through.

It hands out nothing FAB's own ``GET /auth/`` would not: the same token, to the same browser, in the
same cookie (which scripts of other origins cannot read).
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any

from airflow.hitl.api.paths import route_path
from airflow.hitl.api.ui_serving import is_ui_path

TOKEN_COOKIE = "_token"  # Airflow's hand-over cookie (COOKIE_NAME_JWT_TOKEN)
SESSION_COOKIE = "session"  # Flask's session cookie, FAB's login
FAB_INDEX = "/auth/"
LINK_PAGES = "/hitl/links/"


def is_landing_page(path: str) -> bool:
    """Whether ``path`` (without Airflow's root path) is a page people come back to after a login."""
    if is_ui_path(path):
        return True
    return path.startswith(LINK_PAGES) and "/" not in path[len(LINK_PAGES) :]


def _header(scope: dict[str, Any], name: bytes) -> str:
    return b", ".join(value for key, value in scope.get("headers", []) if key == name).decode("latin-1")


def _cookies(header: str) -> dict[str, str]:
    cookies = SimpleCookie()
    try:
        cookies.load(header)
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in cookies.items()}


def wants_token(scope: dict[str, Any]) -> bool:
    """A browser's page load of a landing page that is signed in to FAB (its session cookie) but
    brings no token."""
    if scope.get("type") != "http" or scope.get("method") != "GET":
        return False
    if not is_landing_page(route_path(scope)) or "text/html" not in _header(scope, b"accept"):
        return False
    cookies = _cookies(_header(scope, b"cookie"))
    return SESSION_COOKIE in cookies and not cookies.get(TOKEN_COOKIE)


def token_cookie(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The ``Set-Cookie`` header value that hands over a non-empty ``_token``, if ``headers`` have one."""
    for key, value in headers:
        if key.lower() != b"set-cookie":
            continue
        if _cookies(value.decode("latin-1")).get(TOKEN_COOKIE):
            return value
    return None


def _under_fab() -> bool:
    try:
        from airflow.providers.fab.auth_manager.fab_auth_manager import FabAuthManager
    except ImportError:
        return False
    from airflow.api_fastapi.app import get_auth_manager

    return isinstance(get_auth_manager(), FabAuthManager)


class FabLoginHandoverMiddleware:
    """Root middleware: the landing pages of a browser signed in to FAB carry its ``_token`` (see
    the module docstring)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._active: bool | None = (
            None  # decided on the first landing page (the auth manager is set up by then)
        )

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if not wants_token(scope):
            await self.app(scope, receive, send)
            return
        if self._active is None:
            self._active = _under_fab()
        cookie = await self._token_from_fab(scope) if self._active else None
        if cookie is None:
            await self.app(scope, receive, send)
            return

        async def send_with_token(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_token)

    async def _token_from_fab(self, page: dict[str, Any]) -> bytes | None:
        """FAB's index view for the browser's session, asked in-process: its ``_token`` cookie."""
        root = page.get("root_path", "")
        path = root + FAB_INDEX
        scope = {
            **page,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k, v) for k, v in page.get("headers", []) if k in (b"cookie", b"host")],
        }
        started: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.append(message)

        await self.app(scope, receive, send)
        return token_cookie(started[0].get("headers", [])) if started else None
