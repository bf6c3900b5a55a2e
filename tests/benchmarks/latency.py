"""Benchmark: how quickly a HITL request shows, and how quickly an answer moves the DAG on.

On one stack (``--stack``, default sqlite), one run at a time:

(a) deferral -> request visible through the REST API;
(b) answer -> gate leaves ``deferred`` -> gate ``success`` -> downstream ``success``, for answers
    sent once the request is older than ``[hitl] resume_settle_seconds`` ("settled", the normal
    path) and for answers sent the instant the request shows ("instant", which waits for the
    settle time);
(c) the machine's floor: two plain tasks, first task success -> second task success.

``--no-reader`` measures only registration, as it happens with nobody reading: each run's request
row is looked for in the database directly every 10 ms (no API call touches the HITL routes), on
any layout: ``--stack sqlite`` (one API server process), ``postgres`` (two), ``postgres-split``
(``--apps core`` + ``--apps execution``), and with ``--extra-api-server`` a second API server on
another port sharing the database (as on another host).

Run from the repository root::

    .venv/bin/python -m tests.benchmarks.latency --runs 10
    .venv/bin/python -m tests.benchmarks.latency --runs 3 --stack postgres
    .venv/bin/python -m tests.benchmarks.latency --no-reader --runs 30 --stack postgres-split

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.stress.common import (
    StackFailed,
    effective_settings,
    log,
    parse_ts,
    print_table,
    running_stack,
    settle_env,
    skip_reason,
    spread,
    stack_config,
    start_conflicts,
)

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack, ApiClient

DAG_FILE = Path(__file__).parent / "dags" / "hitl_bench_dags.py"
GATE_DAG, FLOOR_DAG = "hitl_bench_latency", "hitl_bench_floor"
GATE, AFTER = "gate", "after"
MARGIN = 1.0  # seconds past the settle time before a "settled" answer is sent


@dataclass
class GateRun:
    """Timestamps (epoch seconds) of one gated run; ``*_client`` ones are this script's clock."""

    mode: str
    deferred_at: float | None = None  # the gate's trigger created_date: the deferral
    visible_client: float | None = None  # first 200 of the detail endpoint
    responded_at: float | None = None  # server's record of the answer
    left_deferred_client: float | None = None  # first poll that saw the gate not deferred
    left_deferred_state: str | None = None
    resumed_at: float | None = None  # server: the answer handed to the task
    gate_end: float | None = None
    gate_state: str | None = None
    after_end: float | None = None
    after_state: str | None = None
    run_state: str | None = None
    note: str = ""


def diff(later: float | None, earlier: float | None) -> float | None:
    return later - earlier if later is not None and earlier is not None else None


def poll_until_not_deferred(
    api: ApiClient, run_id: str, fast_from: float, timeout: float
) -> tuple[float | None, str | None]:
    """Poll the gate's state (core API, not the HITL routes): every 10 ms from ``fast_from`` on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = api.task_instance(GATE_DAG, run_id, GATE)["state"]
        except httpx.HTTPError:
            state = "deferred"
        if state != "deferred":
            return time.time(), state
        time.sleep(0.01 if time.time() >= fast_from else 0.1)
    return None, None


def gated_run(api: ApiClient, mode: str, settle: float, timeout: float) -> GateRun:
    record = GateRun(mode)
    run_id = api.trigger(GATE_DAG)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:  # (a) poll the detail endpoint every 10 ms
        response = api.get_request(GATE_DAG, run_id, GATE)
        if response.status_code == 200:
            record.visible_client = time.time()
            break
        time.sleep(0.01)
    else:
        record.note = "request never visible"
        return record
    if mode == "instant":
        answer = api.respond(GATE_DAG, run_id, GATE, ["Approve"])
        trigger = api.task_instance(GATE_DAG, run_id, GATE).get("trigger")
        record.deferred_at = parse_ts(trigger["created_date"]) if trigger else None
    else:
        trigger = api.task_instance(GATE_DAG, run_id, GATE).get("trigger")
        record.deferred_at = parse_ts(trigger["created_date"]) if trigger else None
        base = record.deferred_at or record.visible_client
        time.sleep(max(0.0, base + settle + MARGIN - time.time()))
        answer = api.respond(GATE_DAG, run_id, GATE, ["Approve"])
    if answer.status_code != 200:
        record.note = f"answer got {answer.status_code}: {answer.text[:200]}"
        return record
    record.responded_at = parse_ts(answer.json()["responded_at"])
    fast_from = 0.0 if mode == "settled" else (record.deferred_at or time.time()) + settle - 0.5
    record.left_deferred_client, record.left_deferred_state = poll_until_not_deferred(
        api, run_id, fast_from, settle + timeout
    )
    record.run_state = api.wait_for_run(GATE_DAG, run_id, timeout)
    gate, after = api.task_instance(GATE_DAG, run_id, GATE), api.task_instance(GATE_DAG, run_id, AFTER)
    record.gate_state, record.gate_end = gate["state"], parse_ts(gate["end_date"])
    record.after_state, record.after_end = after["state"], parse_ts(after["end_date"])
    record.resumed_at = parse_ts(api.get_request(GATE_DAG, run_id, GATE).json()["resumed_at"])
    return record


def as_epoch(value: Any) -> float:
    """A timestamp read from the database (a datetime on PostgreSQL, text on SQLite), in UTC."""
    from datetime import UTC, datetime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def registration_run(stack: AirflowStack, api: ApiClient, timeout: float) -> float | None:
    """Deferral -> request row in the database, with nobody reading (the database polled every 10 ms)."""
    run_id = api.trigger(GATE_DAG)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = stack.sql(
            "SELECT deferred_at FROM hitl_request WHERE dag_id = :d AND run_id = :r", d=GATE_DAG, r=run_id
        )
        if rows:
            took = time.time() - as_epoch(rows[0][0])
            # Ends the run, so that Airflow's max_active_runs_per_dag (16) does not hold the next.
            api.http.patch(f"/api/v2/dags/{GATE_DAG}/dagRuns/{run_id}", json={"state": "failed"})
            return took
        time.sleep(0.01)
    return None


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    pick = lambda share: ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]  # noqa: E731
    return f"p50 {pick(0.5):.3f} s, p95 {pick(0.95):.3f} s, max {ordered[-1]:.3f} s (n={len(values)})"


def no_reader(args: argparse.Namespace) -> int:
    """``--no-reader``: registration latency with nobody reading, on one layout."""
    config = stack_config(args.stack)
    reason = skip_reason(config)
    if reason:
        print(f"Cannot run on {args.stack}: {reason}")
        return 1
    latencies: list[float] = []
    missing = 0
    try:
        with running_stack(config, [DAG_FILE], keep=args.keep) as stack:
            api = stack.client("admin")
            api.wait_for_dag(GATE_DAG, timeout=180)
            with stack.extra_api_server() if args.extra_api_server else nullcontext():
                for i in range(args.runs):
                    took = registration_run(stack, api, args.timeout)
                    if took is None:
                        missing += 1
                    else:
                        latencies.append(took)
                    log(f"run {i + 1}/{args.runs}: deferral -> registered {took}")
                holders = stack.sql("SELECT holder FROM hitl_lease WHERE name = 'lifecycle'")
    except StackFailed as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    layout = args.stack + (
        " + a second API server (another port, same database)" if args.extra_api_server else ""
    )
    print()
    print(f"layout: {layout}; API server processes per server: {config.api_workers}")
    print(
        f"deferral -> request registered, nobody reading: {percentiles(latencies)}; never registered: {missing}"
    )
    print(f"lifecycle lease holder at the end: {holders[0][0] if holders else None}")
    print(
        "\nMethod: 'deferral' is the request row's deferred_at (the trigger's created_date, set in the\n"
        "transaction that defers the task); 'registered' is this script's clock at the first of its\n"
        "10 ms database polls that found the row. Nothing reads the HITL API meanwhile."
    )
    return 0


def floor_run(api: ApiClient, timeout: float) -> dict[str, Any]:
    run_id = api.trigger(FLOOR_DAG)
    state = api.wait_for_run(FLOOR_DAG, run_id, timeout)
    first, second = (
        api.task_instance(FLOOR_DAG, run_id, "first"),
        api.task_instance(FLOOR_DAG, run_id, "second"),
    )
    return {
        "state": state,
        "success_to_success": diff(parse_ts(second["end_date"]), parse_ts(first["end_date"]))
        if first["state"] == second["state"] == "success"
        else None,
        "success_to_start": diff(parse_ts(second["start_date"]), parse_ts(first["end_date"])),
    }


def report(
    runs: list[GateRun], floors: list[dict[str, Any]], settle: float, stack: str, conflicts: int
) -> None:
    print()
    print(f"stack: {stack}; resume_settle_seconds in effect: {settle}")
    rows: list[list[Any]] = []
    for mode in ("settled", "instant"):
        ok = [r for r in runs if r.mode == mode and r.responded_at is not None]
        rows += [
            [
                mode,
                "(a) deferral -> first 200 seen (client)",
                spread([diff(r.visible_client, r.deferred_at) for r in ok]),
            ],
            [mode, "deferral -> answer recorded", spread([diff(r.responded_at, r.deferred_at) for r in ok])],
            [
                mode,
                "(b) answer -> gate leaves deferred",
                spread([diff(r.left_deferred_client, r.responded_at) for r in ok]),
            ],
            [
                mode,
                "(b) answer -> resumed_at (server)",
                spread([diff(r.resumed_at, r.responded_at) for r in ok]),
            ],
            [
                mode,
                "(b) answer -> gate success",
                spread([diff(r.gate_end, r.responded_at) for r in ok if r.gate_state == "success"]),
            ],
            [
                mode,
                "(b) answer -> downstream success",
                spread([diff(r.after_end, r.responded_at) for r in ok if r.after_state == "success"]),
            ],
            [
                mode,
                "    gate leaves deferred -> downstream success",
                spread([diff(r.after_end, r.left_deferred_client) for r in ok if r.after_state == "success"]),
            ],
        ]
    rows += [
        [
            "floor",
            "(c) first task success -> second task success",
            spread([f["success_to_success"] for f in floors]),
        ],
        [
            "floor",
            "    first task success -> second task start",
            spread([f["success_to_start"] for f in floors]),
        ],
    ]
    print_table(["path", "figure", "min / median / max"], rows)
    states = {
        mode: sorted({(r.gate_state, r.after_state) for r in runs if r.mode == mode}, key=str)
        for mode in ("settled", "instant")
    }
    print(f"gate/downstream final states: {states}; floor run states: {sorted({f['state'] for f in floors})}")
    print(
        f"task starts refused by the execution API (Airflow 3.0.6 LocalExecutor start race, "
        f"apache/airflow#56010; the task retries or fails): {conflicts}"
    )
    for r in runs:
        if r.note:
            print(f"  {r.mode} run: {r.note}")
    print()
    print(
        "Method: 'deferral' is the gate's trigger created_date from GET .../taskInstances/gate (the\n"
        "execution API creates the trigger row in the transaction that sets the task to deferred).\n"
        "The request lifecycle registers the request in the background (its created_at is the\n"
        "deferral); 'first 200 seen' is this script's clock at the first 200 of its 10 ms detail\n"
        "polling. 'answer' is the server's responded_at; 'leaves\n"
        "deferred' is the first core-API poll (10 ms) that saw another state; task success times are\n"
        "the task instances' end_date. Server and client share this machine's clock.\n"
        "'settled' answers are sent resume_settle_seconds + 1 s after the deferral; 'instant' answers\n"
        "as soon as the request is seen, so their resume waits for the settle time."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per path (settled, instant, floor)")
    parser.add_argument("--stack", choices=["sqlite", "postgres", "postgres-split"], default="sqlite")
    parser.add_argument("--timeout", type=float, default=180, help="per run, seconds")
    parser.add_argument(
        "--no-reader", action="store_true", help="only deferral -> registered, with nobody reading"
    )
    parser.add_argument(
        "--extra-api-server",
        action="store_true",
        help="with --no-reader: a second API server on the database",
    )
    parser.add_argument("--warmup", type=int, default=1, help="unmeasured floor runs first")
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=None,
        help="set [hitl] resume_settle_seconds on the stack (default: the feature's own default)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the stack's files (logs) afterwards")
    args = parser.parse_args(argv)
    if args.no_reader:
        return no_reader(args)
    config = stack_config(args.stack, settle_env(args.settle_seconds))
    reason = skip_reason(config)
    if reason:
        print(f"Cannot run on {args.stack}: {reason}")
        return 1
    try:
        with running_stack(config, [DAG_FILE], keep=args.keep) as stack:
            settle = float(effective_settings(stack)["resume_settle_seconds"])
            log(f"resume_settle_seconds = {settle}")
            api = stack.client("admin")
            for dag_id in (GATE_DAG, FLOOR_DAG):
                api.wait_for_dag(dag_id, timeout=180)
            for _ in range(args.warmup):
                floor_run(api, args.timeout)
            floors, runs = [], []
            for i in range(args.runs):
                floors.append(floor_run(api, args.timeout))
                log(f"floor run {i + 1}/{args.runs}: {floors[-1]['success_to_success']}")
            for mode in ("settled", "instant"):
                for i in range(args.runs):
                    try:
                        runs.append(gated_run(api, mode, settle, args.timeout))
                    except (TimeoutError, httpx.HTTPError) as err:
                        runs.append(GateRun(mode, note=f"run not completed: {err}"))
                    r = runs[-1]
                    took = diff(r.after_end, r.responded_at)
                    log(f"{mode} run {i + 1}/{args.runs}: answer -> downstream {took} {r.note}")
            conflicts = start_conflicts(stack)
    except StackFailed as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    report(runs, floors, settle, args.stack, conflicts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
