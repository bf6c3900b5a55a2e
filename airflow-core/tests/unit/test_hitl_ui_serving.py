"""Specification of how the Required Actions app is served at ``/required_actions``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from airflow.hitl.api.paths import route_path
from airflow.hitl.api.ui_serving import (
    CONTENT_SECURITY_POLICY,
    IMMUTABLE,
    RequiredActionsApp,
    RequiredActionsUIMiddleware,
    image_sources,
    is_ui_path,
)

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

INDEX = b"<!doctype html><html><head></head><body><div id='hitl-app'></div></body></html>"
AIRFLOW_PAGE = b'<!doctype html><html><head><base href="/"></head><body><div id="root"></div></body></html>'


def airflow_catch_all(request):
    if is_ui_path(route_path(request.scope)):
        return HTMLResponse(AIRFLOW_PAGE)
    return PlainTextResponse("airflow ui")


def client_for(dist: Path, root_path: str = "", allowed_image_hosts: Iterable[str] = ()) -> TestClient:
    """Airflow's catch-all route behind the middleware, as on the API server."""
    app = Starlette(routes=[Route("/{rest:path}", airflow_catch_all)])
    app.add_middleware(RequiredActionsUIMiddleware, dist=dist, allowed_image_hosts=allowed_image_hosts)
    return TestClient(app, root_path=root_path)


def img_src(policy: str) -> list[str]:
    """The sources of the ``img-src`` directive of a Content-Security-Policy."""
    [directive] = [part.split() for part in policy.split(";") if part.split()[0] == "img-src"]
    return directive[1:]


@pytest.fixture
def built(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return tmp_path


@pytest.mark.parametrize(
    "path",
    ["/required_actions", "/required_actions/", "/required_actions/dags/d/runs/r/tasks/t/-1"],
)
def test_every_client_side_route_gets_airflows_page_uncached_with_the_apps_policy(
    built: Path, path: str
) -> None:
    response = client_for(built).get(path)
    assert response.status_code == 200
    assert response.content == AIRFLOW_PAGE
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_hashed_assets_are_cached_for_a_year_and_other_files_revalidated(built: Path) -> None:
    client = client_for(built)
    asset = client.get("/required_actions/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == IMMUTABLE
    icon = client.get("/required_actions/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_404_not_the_index_page(built: Path) -> None:
    response = client_for(built).get("/required_actions/assets/index-old.js")
    assert response.status_code == 404
    assert response.content not in (INDEX, AIRFLOW_PAGE)


@pytest.mark.parametrize("path", ["/../secret.txt", "/assets/../../secret.txt", "/link-out"])
def test_paths_outside_the_build_are_never_served(built: Path, path: str) -> None:
    secret = built.parent / "secret.txt"
    secret.write_text("do not serve")
    (built / "link-out").symlink_to(secret)
    response = RequiredActionsApp(built, allowed_image_hosts=()).response_for("GET", path)
    # Either Airflow's page (a client-side route: None) or a 404, never the file.
    assert response is None or (getattr(response, "path", None) != secret and response.status_code == 404)


def test_without_a_build_a_page_says_how_to_build_it(tmp_path: Path) -> None:
    response = client_for(tmp_path / "missing").get("/required_actions/dags/d/runs/r/tasks/t/-1")
    assert response.status_code == 503
    assert "Required Actions is not built" in response.text
    assert "scripts/run.sh" in response.text


def test_other_paths_go_to_airflow(built: Path) -> None:
    client = client_for(built)
    for path in ("/", "/dags", "/required_actionsX", "/api/v2/dags"):
        assert client.get(path).text == "airflow ui"


def test_writes_are_refused(built: Path) -> None:
    assert client_for(built).post("/required_actions").status_code == 405


def test_a_root_path_from_the_base_url_is_honoured(built: Path) -> None:
    response = client_for(built, root_path="/airflow").get("/airflow/required_actions")
    assert response.content == AIRFLOW_PAGE
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/required_actions", True),
        ("/required_actions/", True),
        ("/required_actions/dags/x", True),
        ("/required_actions2", False),
        ("/dags/required_actions", False),
    ],
)
def test_is_ui_path(path: str, expected: bool) -> None:
    assert is_ui_path(path) is expected


def test_by_default_images_load_from_the_own_origin_and_data_only(built: Path) -> None:
    response = client_for(built).get("/required_actions")
    assert img_src(response.headers["content-security-policy"]) == ["'self'", "data:"]
    assert response.content == AIRFLOW_PAGE  # no list of allowed image origins


def test_allowed_image_hosts_are_added_to_img_src_and_named_in_the_page(built: Path) -> None:
    hosts = ["images.example.com", "http://localhost:9000", "*.cdn.example.org"]
    response = client_for(built, allowed_image_hosts=hosts).get("/required_actions/inbox")
    sources = ["https://images.example.com", "http://localhost:9000", "https://*.cdn.example.org"]
    assert img_src(response.headers["content-security-policy"]) == ["'self'", "data:", *sources]
    meta = f'<meta name="hitl-allowed-image-sources" content="{" ".join(sources)}">'
    assert response.content == AIRFLOW_PAGE.replace(b"</head>", meta.encode() + b"</head>")


def test_the_setting_is_read_from_the_hitl_section(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW__HITL__ALLOWED_IMAGE_HOSTS", " images.example.com , https://cdn.example.org:8443,"
    )
    app = RequiredActionsApp(built)
    assert app.image_sources == ("https://images.example.com", "https://cdn.example.org:8443")


@pytest.mark.parametrize(
    ("entry", "source"),
    [
        ("images.example.com", "https://images.example.com"),
        ("Images.Example.COM", "https://images.example.com"),
        ("https://images.example.com/", "https://images.example.com"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
        ("*.example.net", "https://*.example.net"),
    ],
)
def test_an_entry_names_an_origin(entry: str, source: str) -> None:
    assert image_sources([entry]) == (source,)


@pytest.mark.parametrize(
    "entry",
    [
        "images.example.com; script-src *",  # would add a directive to the header
        "'unsafe-inline'",
        "https://images.example.com/path/p.png",
        "ftp://images.example.com",
        "data:",
        "*",
        "images.example.com:99999",
        "images.*.example.com",
    ],
)
def test_an_entry_that_is_no_host_or_origin_is_left_out_with_a_warning(
    entry: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="airflow.hitl.api.ui_serving"):
        assert image_sources([entry, "ok.example.com"]) == ("https://ok.example.com",)
    assert f"{entry!r} is not a host or origin" in caplog.text
