"""Specification of the nav-entry script injection into the Airflow UI's HTML shell."""

from __future__ import annotations

import gzip
import os
from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from airflow.hitl.api.nav_entry import (
    SCRIPT_TAG,
    NavEntryMiddleware,
    add_nav_entry,
    add_script,
    app_entry_tags,
)

if TYPE_CHECKING:
    from pathlib import Path

SHELL = (
    b'<!doctype html>\n<html lang="en">\n  <head>\n    <base href="/" />\n    <title>Airflow</title>\n'
    b'    <script type="module" src="./static/assets/index.js"></script>\n  </head>\n'
    b'  <body><div id="root"></div></body>\n</html>\n'
)


def test_the_script_goes_right_before_the_end_of_head() -> None:
    page = add_script(SHELL)
    assert page.count(SCRIPT_TAG) == 1
    assert page.index(SCRIPT_TAG) < page.index(b"</head>")
    assert page.replace(SCRIPT_TAG, b"") == SHELL


def test_adding_twice_adds_once() -> None:
    assert add_script(add_script(SHELL)) == add_script(SHELL)


@pytest.mark.parametrize("page", [b"<p>no head here</p>", b"", b'{"html": "</hea d>"}'])
def test_a_page_without_a_head_is_left_alone(page: bytes) -> None:
    assert add_script(page) == page


def test_the_end_of_head_is_found_in_any_case() -> None:
    assert SCRIPT_TAG + b"</HEAD >" in add_script(b"<html><HEAD></HEAD ><body></body></html>")


def test_the_script_path_is_relative_to_the_shells_base_href() -> None:
    # Airflow's shell sets <base href> to its base path; an absolute src would break sub-paths.
    assert b'src="hitl/static/nav-entry.js' in SCRIPT_TAG


APP_ENTRY = (
    b'<script type="module" crossorigin src="/required_actions/assets/index-abc.js"></script>'
    b'<link rel="modulepreload" crossorigin href="/required_actions/assets/vendor-def.js">'
)
BUILT_INDEX = (
    b'<!doctype html><html><head><link rel="icon" href="/required_actions/favicon.svg" />'
    b"<title>Required Actions</title>" + APP_ENTRY + b'</head><body><div id="hitl-app"></div></body></html>'
)


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_bytes(BUILT_INDEX)
    return tmp_path


def test_the_apps_entry_is_its_module_script_and_preloads_not_its_icon_or_title(built: Path) -> None:
    assert app_entry_tags(built) == APP_ENTRY


def test_a_new_build_is_picked_up(built: Path) -> None:
    assert app_entry_tags(built) == APP_ENTRY
    newer = b'<script type="module" crossorigin src="/required_actions/assets/index-new.js"></script>'
    (built / "index.html").write_bytes(BUILT_INDEX.replace(APP_ENTRY, newer))
    os.utime(built / "index.html", (1, 1))  # a different modification time, whatever the clock
    assert app_entry_tags(built) == newer


def test_without_a_build_only_the_nav_entry_is_added(tmp_path: Path) -> None:
    assert add_nav_entry(SHELL, tmp_path / "missing") == add_script(SHELL)


def test_the_nav_entry_and_the_apps_entry_go_into_the_head(built: Path) -> None:
    page = add_nav_entry(SHELL, built)
    head = page[: page.index(b"</head>")]
    assert SCRIPT_TAG in head
    assert APP_ENTRY in head


def shell_route(request):
    return HTMLResponse(SHELL)


def streamed_shell(request):
    async def parts():
        yield SHELL[:40]
        yield SHELL[40:]

    return StreamingResponse(parts(), media_type="text/html")


def api_route(request):
    return JSONResponse({"html": "<html><head></head></html>"})


def compressed_html(request):
    return Response(gzip.compress(SHELL), media_type="text/html", headers={"Content-Encoding": "gzip"})


def make_client(dist: Path, gzip_outside: bool = False) -> TestClient:
    app = Starlette(
        routes=[
            Route("/streamed", streamed_shell),
            Route("/compressed", compressed_html),
            Route("/api/v2/thing", api_route),
            Route("/auth/login", shell_route),
            Route("/{rest:path}", shell_route),
        ]
    )
    app.add_middleware(NavEntryMiddleware, dist=dist)
    if gzip_outside:
        # Airflow adds its GZip middleware after the plugins' root middlewares: it is outside.
        app.add_middleware(GZipMiddleware, minimum_size=10)
    return TestClient(app)


@pytest.mark.parametrize("path", ["/", "/dags", "/dags/x/runs/y/tasks/z", "/required_actions/dags/x"])
def test_ui_pages_get_the_scripts_and_a_matching_content_length(built: Path, path: str) -> None:
    response = make_client(built).get(path)
    assert response.content == add_nav_entry(SHELL, built)
    assert int(response.headers["content-length"]) == len(response.content)


def test_a_streamed_page_is_collected_then_changed(built: Path) -> None:
    response = make_client(built).get("/streamed")
    assert response.content == add_nav_entry(SHELL, built)


def test_gzip_outside_compresses_the_changed_page(built: Path) -> None:
    response = make_client(built, gzip_outside=True).get("/dags", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == add_nav_entry(SHELL, built)  # httpx decompresses


def test_an_already_compressed_page_is_passed_on_unchanged(built: Path) -> None:
    response = make_client(built).get("/compressed", headers={"Accept-Encoding": "identity"})
    assert response.headers["content-encoding"] == "gzip"
    assert SCRIPT_TAG not in response.content


@pytest.mark.parametrize("path", ["/api/v2/thing", "/auth/login"])
def test_apis_and_the_login_page_are_left_alone(built: Path, path: str) -> None:
    response = make_client(built).get(path)
    assert SCRIPT_TAG not in response.content
    assert APP_ENTRY not in response.content


def test_only_get_requests_are_touched(built: Path) -> None:
    response = make_client(built).head("/dags")
    assert response.headers["content-length"] == str(len(SHELL))


def test_the_middleware_passes_non_http_scopes_on() -> None:
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    import asyncio

    asyncio.run(NavEntryMiddleware(app)({"type": "lifespan"}, None, None))
    assert seen == ["lifespan"]
