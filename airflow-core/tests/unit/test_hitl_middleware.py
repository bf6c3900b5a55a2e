"""Specification of ``HITLRoutesMiddleware``: exactly the HITL REST paths go to the HITL API app."""

from __future__ import annotations

import asyncio

import pytest

from airflow.hitl.api.middleware import HITLRoutesMiddleware


class FakeApp:
    """An ASGI app that records the scopes it is called with."""

    def __init__(self, name):
        self.name = name
        self.calls = []

    async def __call__(self, scope, receive, send):
        self.calls.append((scope, receive, send))


async def receive():
    return {"type": "http.request"}


async def send(message):
    pass


@pytest.fixture
def apps():
    airflow_app = FakeApp("airflow")
    hitl_app = FakeApp("hitl")
    middleware = HITLRoutesMiddleware(airflow_app, build=lambda: hitl_app)
    return middleware, airflow_app, hitl_app


def call(middleware, scope):
    asyncio.run(middleware(scope, receive, send))


def http(path, **extra):
    return {"type": "http", "method": "GET", "path": path, **extra}


HITL_PATHS = [
    "/api/v2/dags/d/dagRuns/r/hitlDetails",
    "/api/v2/dags/d/dagRuns/r/taskInstances/t/-1/hitlDetails",
    "/api/v2/dags/d/dagRuns/r/taskInstances/t/3/hitlDetails",
    "/api/v2/dags/my_dag/dagRuns/manual__2025-01-01T00:00:00+00:00/taskInstances/ask/-1/hitlDetails",
    "/api/v2/hitl",
    "/api/v2/hitl/",
    "/api/v2/hitl/inbox",
    "/api/v2/hitl/groups/reviewers/members",
]

OTHER_PATHS = [
    "/api/v2/dags",
    "/api/v2/dags/d",
    "/api/v2/dags/d/dagRuns",
    "/api/v2/dags/d/dagRuns/r",
    "/api/v2/dags/d/dagRuns/r/taskInstances",
    "/api/v2/dags/d/dagRuns/r/taskInstances/t",
    "/api/v2/dags/d/dagRuns/r/taskInstances/t/-1",
    "/api/v2/dags/d/dagRuns/r/hitlDetailsExtra",
    "/api/v2/dags/d/dagRuns/r/hitlDetails/extra",
    "/api/v2/dags/d/hitlDetails",
    "/api/v2/hitlDetails",
    "/api/v2/hitlx",
    "/api/v1/hitl/inbox",
    "/api/v2/version",
    "/ui/dags",
    "/ui/hitl",
    "/hitl",
    "/",
    "",
]


@pytest.mark.parametrize("path", HITL_PATHS)
def test_hitl_paths_go_to_the_hitl_app_only(apps, path):
    middleware, airflow_app, hitl_app = apps
    scope = http(path)
    call(middleware, scope)
    assert airflow_app.calls == []
    assert len(hitl_app.calls) == 1
    assert hitl_app.calls[0] == (scope, receive, send)


@pytest.mark.parametrize("path", OTHER_PATHS)
def test_other_paths_pass_through_to_the_wrapped_app_only(apps, path):
    middleware, airflow_app, hitl_app = apps
    scope = http(path)
    call(middleware, scope)
    assert hitl_app.calls == []
    assert airflow_app.calls == [(scope, receive, send)]


def test_a_websocket_on_a_hitl_path_passes_through(apps):
    middleware, airflow_app, hitl_app = apps
    scope = {"type": "websocket", "path": "/api/v2/hitl/inbox"}
    call(middleware, scope)
    assert hitl_app.calls == []
    assert [c[0] for c in airflow_app.calls] == [scope]


def test_lifespan_passes_through(apps):
    middleware, airflow_app, hitl_app = apps
    scope = {"type": "lifespan"}
    call(middleware, scope)
    assert hitl_app.calls == []
    assert [c[0] for c in airflow_app.calls] == [scope]


def test_an_http_scope_without_a_path_passes_through(apps):
    middleware, airflow_app, hitl_app = apps
    call(middleware, {"type": "http"})
    assert hitl_app.calls == []
    assert len(airflow_app.calls) == 1


def test_the_root_path_is_ignored_when_matching(apps):
    middleware, airflow_app, hitl_app = apps
    scope = http("/airflow/api/v2/hitl/inbox", root_path="/airflow")
    call(middleware, scope)
    assert [c[0] for c in hitl_app.calls] == [scope]
    assert airflow_app.calls == []


def test_a_path_without_the_root_path_prefix_is_matched_as_is(apps):
    middleware, airflow_app, hitl_app = apps
    scope = http("/api/v2/dags/d/dagRuns/r/hitlDetails", root_path="/airflow")
    call(middleware, scope)
    assert len(hitl_app.calls) == 1
    assert airflow_app.calls == []


def test_a_non_hitl_path_under_a_root_path_passes_through(apps):
    middleware, airflow_app, hitl_app = apps
    scope = http("/airflow/api/v2/dags", root_path="/airflow")
    call(middleware, scope)
    assert hitl_app.calls == []
    assert len(airflow_app.calls) == 1


def test_the_hitl_app_is_reused_across_requests(apps):
    middleware, airflow_app, hitl_app = apps
    call(middleware, http("/api/v2/hitl/a"))
    call(middleware, http("/api/v2/dags"))
    call(middleware, http("/api/v2/hitl/b"))
    assert middleware.routed_app is hitl_app
    assert [c[0]["path"] for c in hitl_app.calls] == ["/api/v2/hitl/a", "/api/v2/hitl/b"]
    assert [c[0]["path"] for c in airflow_app.calls] == ["/api/v2/dags"]


def test_the_wrapped_app_is_kept_as_app():
    airflow_app = FakeApp("airflow")
    assert HITLRoutesMiddleware(airflow_app).app is airflow_app


def test_the_hitl_app_is_not_built_until_a_hitl_request_arrives():
    airflow_app = FakeApp("airflow")
    middleware = HITLRoutesMiddleware(airflow_app)
    call(middleware, http("/api/v2/dags"))
    call(middleware, {"type": "lifespan"})
    assert middleware.routed_app is None
    assert len(airflow_app.calls) == 2
