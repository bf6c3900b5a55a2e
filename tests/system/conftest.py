"""Session-wide real Airflow stacks: each configuration is started once and shared by its tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import (
    CONFIGS,
    AirflowStack,
    StackConfig,
    one_stack_name,
    require_postgres,
    require_redis,
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
    """A running Airflow with the feature, per configuration (sqlite, postgres, postgres-split,
    production); a configuration none of the collected tests runs on is never started."""
    config: StackConfig = CONFIGS[request.param]
    if config.database == "postgres":
        require_postgres(f"the {config.name} tests")
    if config.celery:
        require_redis(f"the {config.name} tests (CeleryExecutor with Redis as broker)")
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
    """Which stacks each system test runs on.

    * unmarked: every selected stack that runs the whole suite (not those for marked tests only,
      such as ``production``);
    * ``one_stack``: :func:`one_stack_name` only;
    * ``on_stack(name=...)``: that stack only; where it is not selected, the test is reported as
      skipped (on :func:`one_stack_name`) with the reason and how to select it.

    The other stacks' items are deselected, so a stack no collected test needs is never started.
    """
    chosen = one_stack_name()
    selected = selected_stacks()
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        stack_name = callspec.params.get("stack") if callspec is not None else None
        if stack_name is None:
            keep.append(item)
            continue
        if marker := item.get_closest_marker("on_stack"):
            name, why = marker.kwargs["name"], marker.kwargs["why"]
            runs_here = stack_name == (name if name in selected else chosen)
            if name not in selected and runs_here:
                item.add_marker(
                    pytest.mark.skip(
                        reason=f"needs the {name} stack ({why}); select it with HITL_STACKS={name}"
                    )
                )
        elif item.get_closest_marker("one_stack"):
            runs_here = stack_name == chosen
        else:
            layout = CONFIGS[stack_name]
            module = Path(str(item.fspath)).stem
            runs_here = not layout.marked_tests_only and (
                not layout.suite_modules or module in layout.suite_modules
            )
        (keep if runs_here else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
