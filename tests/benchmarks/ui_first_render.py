"""Benchmark: how fast the Required Actions inbox shows its first page with N pending requests.

Starts one stack (``--stack``, default sqlite) with the benchmark DAGs, creates one real waiting
request (``hitl_bench_waiting`` with ``n=1``: a mapped ``HITLOperator`` that defers), then stops
the scheduler, triggerer and dag-processor, so that nothing but the API server touches those
rows and the browser measurements are not disturbed by task processes on a small machine.
It then clones that deferred task instance and its trigger row in the metadata database until
``--requests`` task instances wait (each with a trigger of its own carrying its own subject): to
the feature they are indistinguishable from requests created by running tasks, which would take
far longer to create (each mapped task instance runs on the LocalExecutor before it defers).

Measured and printed (nothing is asserted):

* the first REST read after seeding, which registers all new requests (the registry's one-off
  catch-up, ``GET .../hitlDetails?limit=1``);
* ``GET /api/v2/dags/~/dagRuns/~/hitlDetails?status=pending&limit=25`` (the inbox's page 1) and
  ``GET /api/v2/hitl/counts``, median of ``--runs``;
* in Debian's Chromium: time from navigation start to the first table row of the inbox
  (``/required_actions?view=pending``), for a first visit (a fresh browser profile each run,
  nothing cached) and for a reload (assets cached), median of ``--runs``.

Run from the repository root::

    .venv/bin/python -m tests.benchmarks.ui_first_render
    .venv/bin/python -m tests.benchmarks.ui_first_render --requests 10000 --runs 5 --stack postgres
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.stress.common import StackFailed, log, print_table, running_stack, skip_reason, stack_config
from tests.system.airflow_stack import REPO_ROOT, wait_for
from tests.system.browser import chromium_context, chromium_missing, log_in

if TYPE_CHECKING:
    from playwright.sync_api import Page, Playwright

    from tests.system.airflow_stack import AirflowStack

DAG_FILE = Path(__file__).parent / "dags" / "hitl_bench_dags.py"
DAG_ID, TASK = "hitl_bench_waiting", "ask"
LIST_PATH = "/api/v2/dags/~/dagRuns/~/hitlDetails"
INBOX = "/required_actions?view=pending"
STOPPED_COMPONENTS = ("scheduler", "triggerer", "dag-processor")

# Runs in a Python process with the stack's Airflow environment: copies the template task
# instance (map index 0) and its trigger ``count - 1`` times, each copy with its own subject.
SEED = textwrap.dedent(
    """
    import uuid6
    from sqlalchemy import select
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session

    dag_id, run_id, task_id, count = {dag_id!r}, {run_id!r}, {task_id!r}, {count}
    table = TaskInstance.__table__
    with create_session() as session:
        template = dict(
            session.execute(
                select(table).where(
                    table.c.dag_id == dag_id,
                    table.c.run_id == run_id,
                    table.c.task_id == task_id,
                    table.c.map_index == 0,
                )
            ).mappings().one()
        )
        template_trigger = session.get(Trigger, template["trigger_id"])
        kwargs = template_trigger.kwargs
        for start in range(1, count, 1000):
            indexes = range(start, min(start + 1000, count))
            triggers = []
            for index in indexes:
                request = dict(kwargs["request"], subject=f"Benchmark request {{index}}")
                triggers.append(Trigger(template_trigger.classpath, dict(kwargs, request=request)))
            session.add_all(triggers)
            session.flush()
            rows = [
                dict(template, id=str(uuid6.uuid7()), map_index=index, trigger_id=trigger.id)
                for index, trigger in zip(indexes, triggers)
            ]
            session.execute(table.insert(), rows)
            session.commit()
    print(count - 1)
    """
)


def stop_components(stack: AirflowStack) -> None:
    """Stop the components that would otherwise work on the cloned rows (this script started them)."""
    for name in STOPPED_COMPONENTS:
        process = stack.processes.get(name)
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
    log(f"stopped {', '.join(STOPPED_COMPONENTS)}; only the API server runs now")


def seed(stack: AirflowStack, requests: int) -> float:
    """``requests`` waiting HITL task instances; returns the seconds the registry's catch-up took."""
    admin = stack.client("admin")
    run_id = admin.trigger(DAG_ID, conf={"n": 1})
    admin.wait_for_request(DAG_ID, run_id, TASK, map_index=0, timeout=300)
    stop_components(stack)
    started = time.monotonic()
    code = SEED.format(dag_id=DAG_ID, run_id=run_id, task_id=TASK, count=requests)
    cloned = int(stack.run_python(code).strip().splitlines()[-1])
    log(f"cloned {cloned} deferred task instances with their triggers in {time.monotonic() - started:.1f}s")
    started = time.monotonic()
    response = admin.http.get(LIST_PATH, params={"status": "pending", "limit": 1}, timeout=900)
    response.raise_for_status()
    catch_up = time.monotonic() - started
    total = response.json()["total_entries"]
    log(f"first read registered the requests in {catch_up:.1f}s; {total} pending")
    return catch_up


def rest_timings(stack: AirflowStack, runs: int) -> dict[str, float]:
    """Median seconds of the two calls the inbox makes for its first page."""
    http = stack.client("admin").http
    calls = {
        "list page 1 (25 pending)": (
            LIST_PATH,
            {"status": "pending", "limit": 25, "order_by": "-created_at"},
        ),
        "counts": ("/api/v2/hitl/counts", {}),
    }
    medians = {}
    for name, (path, params) in calls.items():
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            http.get(path, params=params, timeout=120).raise_for_status()
            samples.append(time.perf_counter() - started)
        medians[name] = statistics.median(samples)
    return medians


FIRST_ROW = """() => {
  const row = document.querySelector("main table tbody tr");
  return row ? performance.now() : null;
}"""


def first_row_ms(page: Page, url: str, reload: bool = False) -> float:
    """Milliseconds from navigation start to the inbox's first table row."""
    if reload:
        page.reload()
    else:
        page.goto(url)
    handle = page.wait_for_function(FIRST_ROW, polling="raf", timeout=120_000)
    return float(handle.json_value())


def browser_timings(
    playwright: Playwright, stack: AirflowStack, runs: int
) -> tuple[list[float], list[float], str]:
    """First-visit and reload times to the first row, and the inbox's "x-y of N" line."""
    url = f"{stack.base_url}{INBOX}"
    first_visits: list[float] = []
    reloads: list[float] = []
    shown = ""
    for _ in range(runs):
        with chromium_context(playwright, viewport={"width": 1280, "height": 800}) as context:
            page = context.new_page()
            log_in(page, stack.base_url, "admin", stack.passwords["admin"])
            first_visits.append(first_row_ms(page, url))
            shown = page.get_by_test_id("result-range").inner_text()
    with chromium_context(playwright, viewport={"width": 1280, "height": 800}) as context:
        page = context.new_page()
        log_in(page, stack.base_url, "admin", stack.passwords["admin"])
        first_row_ms(page, url)
        reloads.extend(first_row_ms(page, url, reload=True) for _ in range(runs))
    return first_visits, reloads, shown


def spread_ms(values: list[float]) -> str:
    return (
        f"{statistics.median(values):.0f} ms (min {min(values):.0f}, max {max(values):.0f}, n={len(values)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=10_000, help="pending requests to seed")
    parser.add_argument("--runs", type=int, default=5, help="measurements per figure (the median is shown)")
    parser.add_argument("--keep", action="store_true", help="keep the stack's files (logs) afterwards")
    args = parser.parse_args(argv)

    config = stack_config(args.stack)
    for problem in (skip_reason(config), chromium_missing()):
        if problem:
            print(f"cannot run: {problem}", file=sys.stderr)
            return 1
    if not (REPO_ROOT / "airflow-core/src/airflow/hitl/ui_dist/index.html").is_file():
        print(
            "cannot run: the Required Actions app is not built (npm --prefix ui run build)", file=sys.stderr
        )
        return 1

    from playwright.sync_api import sync_playwright

    try:
        with running_stack(config, [DAG_FILE], keep=args.keep) as stack:
            catch_up = seed(stack, args.requests)
            wait_for(
                lambda: httpx.get(f"{stack.base_url}/api/v2/monitor/health", timeout=5).status_code == 200,
                30,
                "the API server",
            )
            rest = rest_timings(stack, args.runs)
            with sync_playwright() as playwright:
                first_visits, reloads, shown = browser_timings(playwright, stack, args.runs)
    except StackFailed as err:
        print(f"cannot run: {err}", file=sys.stderr)
        return 1

    print()
    print(f"Required Actions inbox, {args.requests} pending requests, {args.stack}, {os.cpu_count()} CPUs")
    print_table(
        ["measurement", "result"],
        [
            ["registry catch-up (first read after seeding)", f"{catch_up:.1f} s (once)"],
            *[
                [f"REST {name}", f"{seconds * 1000:.0f} ms (median of {args.runs})"]
                for name, seconds in rest.items()
            ],
            ["first row, first visit (nothing cached)", spread_ms(first_visits)],
            ["first row, reload (assets cached)", spread_ms(reloads)],
            ["inbox shows", shown],
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
