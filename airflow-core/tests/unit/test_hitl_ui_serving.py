"""Specification of how the Required Actions app is served at ``/required_actions``."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from airflow.hitl.api.ui_serving import (
    CONTENT_SECURITY_POLICY,
    IMMUTABLE,
    RequiredActionsApp,
    RequiredActionsUIMiddleware,
    is_ui_path,
)

INDEX = b"<!doctype html><html><head></head><body><div id='root'></div></body></html>"


def airflow_catch_all(request):
    return PlainTextResponse("airflow ui")


def client_for(dist: Path, root_path: str = "") -> TestClient:
    """Airflow's catch-all route behind the middleware, as on the API server."""
    app = Starlette(routes=[Route("/{rest:path}", airflow_catch_all)])
    app.add_middleware(RequiredActionsUIMiddleware, dist=dist)
    return TestClient(app, root_path=root_path)


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
def test_every_client_side_route_gets_the_index_page_uncached(built: Path, path: str) -> None:
    response = client_for(built).get(path)
    assert response.status_code == 200
    assert response.content == INDEX
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
    assert response.content != INDEX


@pytest.mark.parametrize("path", ["/../secret.txt", "/assets/../../secret.txt", "/link-out"])
def test_paths_outside_the_build_are_never_served(built: Path, path: str) -> None:
    secret = built.parent / "secret.txt"
    secret.write_text("do not serve")
    (built / "link-out").symlink_to(secret)
    response = RequiredActionsApp(built).response_for("GET", path)
    assert getattr(response, "path", None) != secret
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert Path(response.path) == built / "index.html"  # type: ignore[attr-defined]


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
    assert response.content == INDEX


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
