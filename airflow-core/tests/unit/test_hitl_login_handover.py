"""Specification of the FAB login hand-over: the landing pages of a browser signed in to FAB carry
the ``_token`` cookie that FAB's index view (``/auth/``) issues for its session.

The API server is a small Starlette app here: ``/auth/`` answers as FAB's index view does (a
redirect with the ``_token`` cookie when the session cookie says "signed in", without it otherwise),
the pages answer with HTML. Whether the auth manager is FAB's is set on the middleware.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from airflow.hitl.api.login_handover import FabLoginHandoverMiddleware, is_landing_page, token_cookie

if TYPE_CHECKING:
    from starlette.requests import Request

PAGE = {"accept": "text/html,application/xhtml+xml"}


def fab_index(request: Request) -> Response:
    response = RedirectResponse("/", status_code=302)
    if request.cookies.get("session") == "signed-in":
        response.set_cookie("_token", f"jwt-for-{request.headers.get('host')}")
    response.set_cookie("session", "refreshed")
    return response


def page(request: Request) -> Response:
    return HTMLResponse("<html><head></head><body>page</body></html>")


def client(*, under_fab: bool = True) -> tuple[TestClient, list[str]]:
    index_calls: list[str] = []

    def counted_index(request: Request) -> Response:
        index_calls.append(request.cookies.get("session", ""))
        return fab_index(request)

    app = Starlette(
        routes=[
            Route("/auth/", counted_index),
            Route("/required_actions", page),
            Route("/required_actions/{path:path}", page),
            Route("/hitl/links/{link}", page),
            Route("/hitl/links/assets/{name}", page),
            Route("/dags", page),
        ]
    )
    middleware = FabLoginHandoverMiddleware(app)
    middleware._active = under_fab
    return TestClient(middleware, base_url="http://airflow.test"), index_calls


@pytest.mark.parametrize("path", ["/required_actions", "/required_actions/dags/d/runs/r", "/hitl/links/abc"])
def test_a_signed_in_browser_without_a_token_gets_fabs_token_with_the_page(path: str) -> None:
    http, calls = client()
    http.cookies.set("session", "signed-in")
    response = http.get(path, headers=PAGE)
    assert response.status_code == 200 and "page" in response.text
    assert response.cookies.get("_token") == "jwt-for-airflow.test"
    assert calls == ["signed-in"]
    # Only FAB's token is passed on, not the session cookie FAB's index view also sets.
    assert [c for c in response.headers.get_list("set-cookie") if c.startswith("session=")] == []


def test_a_browser_that_is_not_signed_in_gets_the_page_alone() -> None:
    http, calls = client()
    http.cookies.set("session", "anonymous")
    response = http.get("/required_actions", headers=PAGE)
    assert response.status_code == 200
    assert "_token" not in response.cookies
    assert calls == ["anonymous"]


@pytest.mark.parametrize(
    ("path", "headers", "cookies"),
    [
        ("/required_actions", PAGE, {}),  # no session: nobody to hand a token to
        ("/required_actions", PAGE, {"session": "signed-in", "_token": "already"}),
        ("/required_actions/assets/app.js", {"accept": "*/*"}, {"session": "signed-in"}),  # not a page load
        ("/dags", PAGE, {"session": "signed-in"}),  # Airflow's own pages: its login hand-over applies
        ("/hitl/links/assets/link.js", PAGE, {"session": "signed-in"}),
    ],
)
def test_fab_is_not_asked_for_other_requests(
    path: str, headers: dict[str, str], cookies: dict[str, str]
) -> None:
    http, calls = client()
    for name, value in cookies.items():
        http.cookies.set(name, value)
    response = http.get(path, headers=headers)
    assert response.status_code == 200
    assert calls == []
    assert response.cookies.get("_token") in (None, cookies.get("_token"))


def test_under_another_auth_manager_nothing_is_asked() -> None:
    http, calls = client(under_fab=False)
    http.cookies.set("session", "signed-in")
    assert "_token" not in http.get("/required_actions", headers=PAGE).cookies
    assert calls == []


def test_a_post_is_passed_through_untouched() -> None:
    http, calls = client()
    http.cookies.set("session", "signed-in")
    assert http.post("/hitl/links/abc", headers=PAGE).status_code == 405
    assert calls == []


@pytest.mark.parametrize(
    ("path", "landing"),
    [
        ("/required_actions", True),
        ("/required_actions/", True),
        ("/required_actions/dags/x/runs/y/tasks/z", True),
        ("/hitl/links/e30.abc", True),
        ("/hitl/links/assets/link.js", False),
        ("/hitl/links/", True),
        ("/required_actionsx", False),
        ("/api/v2/hitl/counts", False),
        ("/", False),
    ],
)
def test_landing_pages(path: str, landing: bool) -> None:
    assert is_landing_page(path) is landing


def test_only_a_non_empty_token_cookie_is_taken() -> None:
    assert token_cookie([(b"set-cookie", b"session=x; Path=/"), (b"location", b"/")]) is None
    assert token_cookie([(b"Set-Cookie", b'_token=""; Path=/')]) is None
    assert token_cookie([(b"set-cookie", b"_token=abc; Path=/")]) == b"_token=abc; Path=/"
