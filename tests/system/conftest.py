"""Session-wide real Airflow stacks: each configuration is started once and shared by its tests."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import (
    CONFIGS,
    AirflowStack,
    StackConfig,
    one_stack_name,
    require_postgres,
    selected_stacks,
)
from tests.system.browser import chromium_context, chromium_missing

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager

    from playwright.sync_api import BrowserContext

IN_CI = os.environ.get("CI") == "true"

_running: dict[str, AirflowStack] = {}


@pytest.fixture(scope="session", params=selected_stacks())
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowStack]:
    """A running Airflow with the feature, per configuration (sqlite, postgres, postgres-split)."""
    config: StackConfig = CONFIGS[request.param]
    if config.database == "postgres":
        require_postgres(f"the {config.name} tests")
    stack = AirflowStack(config, tmp_path_factory.mktemp("stacks"))
    try:
        stack.start()
    except Exception:
        print(stack.dump_logs())
        stack.stop()
        raise
    _running[config.name] = stack
    yield stack
    stack.stop()
    _running.pop(config.name, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        stack = getattr(item, "funcargs", {}).get("stack")
        if isinstance(stack, AirflowStack):
            report.sections.append(("Airflow component logs", stack.dump_logs()))


@pytest.fixture(scope="module")
def browser() -> Iterator[Callable[..., AbstractContextManager[BrowserContext]]]:
    """Opens fresh Chromium profiles: ``with browser() as context: page = context.new_page()``."""
    missing = chromium_missing()
    if missing:
        if IN_CI:
            pytest.fail(f"{missing}; CI must run the browser tests")
        pytest.skip(f"{missing}: the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield lambda **options: chromium_context(playwright, **options)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``one_stack`` run on :func:`one_stack_name` only; tests marked ``on_stack`` on
    the stack they name (skipped with the reason where it is not selected). A stack with
    ``only_named_tests`` (the FAB one) runs the tests that name it and nothing else."""
    chosen = one_stack_name()
    selected = selected_stacks()
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        stack_name = callspec.params.get("stack") if callspec is not None else None
        wanted = chosen if item.get_closest_marker("one_stack") else None
        if marker := item.get_closest_marker("on_stack"):
            wanted = marker.kwargs["name"] if marker.kwargs["name"] in selected else chosen
            if marker.kwargs["name"] not in selected and stack_name == chosen:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"needs the {marker.kwargs['name']} stack ({marker.kwargs['why']}); "
                        f"select it with HITL_STACKS={marker.kwargs['name']}"
                    )
                )
        stack_config = CONFIGS.get(stack_name) if stack_name is not None else None
        if (
            stack_config is not None
            and stack_config.only_named_tests
            and (marker is None or wanted != stack_name)
        ):
            wanted = ""  # a stack for one concern: only the tests that name it run there
        (drop if wanted is not None and stack_name is not None and stack_name != wanted else keep).append(
            item
        )
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
