"""Specification of the prepared-link pages (``/hitl/links/...``) up to the point where the database
is needed: turned off by configuration, static pages that reflect nothing, a login for every action.

What happens with a valid link on a running Airflow is specified in ``tests/system/test_prepared_links.py``.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
from airflow.api_fastapi.common.db.common import _get_session
from airflow.api_fastapi.core_api.security import get_user
from airflow.hitl.api.app import create_plugin_app
from airflow.hitl.config import HITLSettings

PAGES = Path(__file__).resolve().parents[2] / "src/airflow/hitl/static/links"
A_LINK = "eyJ2IjoxfQ." + "A" * 43
HOSTILE = '"><img src=x onerror=alert(1)>' + "." + "A" * 43


class NoSession:
    """Any use of the database fails the test: these refusals must not need it."""

    def __getattr__(self, name):
        raise AssertionError(f"the database was used ({name})")


@pytest.fixture
def settings(monkeypatch):
    current = {"value": HITLSettings(prepared_links_enabled=True)}
    monkeypatch.setattr("airflow.hitl.api.routes.prepared_links.get_settings", lambda: current["value"])
    return current


@pytest.fixture
def app():
    app = create_plugin_app()
    app.dependency_overrides[_get_session] = NoSession
    return app


@pytest.fixture
def client(app):
    return TestClient(app, base_url="http://airflow.test")


@pytest.fixture
def logged_in(app):
    app.dependency_overrides[get_user] = lambda: SimpleAuthManagerUser(username="ann", role="user")


class TestTurnedOff:
    def test_the_page_says_so_and_has_no_script(self, client, settings):
        settings["value"] = HITLSettings(prepared_links_enabled=False)
        response = client.get(f"/links/{A_LINK}")
        assert response.status_code == 403
        assert "Prepared links are turned off" in response.text
        assert "<script" not in response.text
        assert response.content == (PAGES / "disabled.html").read_bytes()

    def test_using_a_link_is_refused_without_touching_the_database(self, client, settings, logged_in):
        settings["value"] = HITLSettings(prepared_links_enabled=False)
        response = client.post(f"/links/{A_LINK}")
        assert response.status_code == 403
        body = response.json()
        assert body["outcome"] == "refused"
        assert body["title"] == "Prepared links are turned off"
        assert body["request"] is None


class TestThePage:
    @pytest.mark.parametrize("link", [A_LINK, HOSTILE, "x"])
    def test_is_the_same_static_page_for_every_link(self, client, settings, link):
        response = client.get(f"/links/{link}")
        assert response.status_code == 200
        assert response.content == (PAGES / "page.html").read_bytes()
        assert "onerror" not in response.text

    def test_is_sent_with_a_strict_policy(self, client, settings):
        headers = client.get(f"/links/{A_LINK}").headers
        policy = headers["content-security-policy"]
        for directive in (
            "default-src 'none'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ):
            assert directive in policy
        assert "unsafe-inline" not in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
        assert headers["content-type"].startswith("text/html")

    @pytest.mark.parametrize(("name", "kind"), [("link.js", "text/javascript"), ("link.css", "text/css")])
    def test_its_script_and_style_sheet_are_served(self, client, name, kind):
        response = client.get(f"/links/assets/{name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(kind)
        assert response.headers["x-content-type-options"] == "nosniff"

    @pytest.mark.parametrize("name", ["page.html", "../links/link.js", "other.js"])
    def test_nothing_else_is_served_as_an_asset(self, client, name):
        assert client.get(f"/links/assets/{name}").status_code == 404

    def test_the_script_never_writes_markup(self):
        script = (PAGES / "link.js").read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in script


class TestUsingALink:
    def test_needs_a_login(self, client, settings):
        response = client.post(f"/links/{A_LINK}")
        assert response.status_code == 401

    def test_does_not_take_the_login_from_a_cookie(self, client, settings):
        # A cross-site form could make a browser send cookies, never an Authorization header.
        client.cookies.set("_token", "anything")
        response = client.post(f"/links/{A_LINK}")
        assert response.status_code == 401

    @pytest.mark.parametrize("link", ["x", HOSTILE, A_LINK])
    def test_a_malformed_link_is_refused_before_the_database_is_asked(
        self, client, settings, logged_in, link
    ):
        response = client.post(f"/links/{link}")
        assert response.status_code == 400
        body = response.json()
        assert (body["outcome"], body["title"]) == ("refused", "This link is not valid")
        assert "onerror" not in response.text

    def test_a_get_never_acts(self, client, settings, logged_in):
        # Even with a login, a GET (a preview, a scanner) gets the page and nothing else.
        response = client.get(f"/links/{A_LINK}", headers={"Authorization": "Bearer whatever"})
        assert response.content == (PAGES / "page.html").read_bytes()

    @pytest.mark.parametrize(
        "params",
        ['{"note":NaN}', '{"note":-Infinity}', '{"note":' + "[" * 1400 + "]" * 1400 + "}"],
        ids=["nan", "infinity", "nested-1400"],
    )
    def test_hostile_payloads_are_refused_as_invalid_links(self, client, settings, logged_in, params):
        fields = (
            '{"action":"respond","dag_id":"d","exp":1900000000,"map_index":-1,"options":["Approve"],'
            f'"params":{params},"run_id":"r","task_id":"t","to":null,"try_number":1,"v":2}}'
        )
        payload = base64.urlsafe_b64encode(fields.encode()).rstrip(b"=").decode()
        response = client.post(f"/links/{payload}.{'A' * 43}")
        assert response.status_code == 400
        assert response.json()["title"] == "This link is not valid"

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b'{"confirm": "yes please"}', "application/json"),
            (b'{"confirm": true, "as": "admin"}', "application/json"),
            (b"confirm=true", "application/x-www-form-urlencoded"),
            (b"\xff\xfe", "application/json"),
            (b"[" * 5000, "application/json"),
        ],
        ids=["not-a-bool", "extra-field", "form", "not-utf8", "deep"],
    )
    def test_a_malformed_confirmation_is_refused_before_the_link_is_looked_at(
        self, client, settings, logged_in, content, content_type
    ):
        # FastAPI answers 422 for a body that does not match, 400 for one it cannot parse at all.
        response = client.post(f"/links/{A_LINK}", content=content, headers={"Content-Type": content_type})
        assert response.status_code in (400, 422)
        assert "outcome" not in response.json()
