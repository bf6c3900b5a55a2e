"""Benchmark: bursts of DAG runs triggered at once, with the limits a platform team sets.

Triggers ``--bursts`` bursts of ``--runs`` runs of a one-approval DAG (``hitl_bench_burst``, no
retries) on one stack with ``[core] parallelism=64``, ``max_active_runs_per_dag=100`` and
``max_active_tasks_per_dag=128``, and counts the approval tasks that failed before they asked (the
task failed instead of deferring: Airflow 3.0.6's LocalExecutor can start a task before the
scheduler has committed it as ``queued``, apache/airflow#56010). Then the burst's runs are marked
failed (freeing ``max_active_runs`` for the next burst); with ``--answer`` each burst's requests
are answered at once instead, and the resumed gates and their downstream tasks are counted too. Meanwhile a thread calls the API without pause (the inbox list, the counts, the health
endpoint) and the latency of its calls is printed per burst.

``--executor airflow`` runs Airflow's own LocalExecutor, ``--executor hitl`` (the default) the
project's (``airflow.hitl.executors.local_executor.LocalExecutor``), so the two can be compared.
The API server gets as many worker processes as the run command would give it on this machine
(``api_workers_for_machine`` in ``scripts/_env.sh``) unless ``--api-workers`` says otherwise.

Run from the repository root::

    .venv/bin/python -m tests.benchmarks.burst                       # 5 x 50 runs, the project's executor
    .venv/bin/python -m tests.benchmarks.burst --executor airflow    # the same with Airflow's
    .venv/bin/python -m tests.benchmarks.burst --bursts 1 --runs 50 --answer

Figures are printed, never asserted. Exit status 1 only when the stack did not start.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.stress.common import (
    START_CONFLICT,
    StackFailed,
    ThreadClients,
    log,
    print_table,
    running_stack,
    skip_reason,
    stack_config,
)
from tests.system.airflow_stack import REPO_ROOT, wait_for

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack

DAG_FILE = Path(__file__).parent / "dags" / "hitl_bench_dags.py"
DAG_ID, GATE, AFTER = "hitl_bench_burst", "gate", "burst_after"
EXECUTORS = {
    "airflow": "LocalExecutor",
    "hitl": "airflow.hitl.executors.local_executor.LocalExecutor",
}
LIMITS = {
    "AIRFLOW__CORE__PARALLELISM": "64",
    "AIRFLOW__CORE__MAX_ACTIVE_RUNS_PER_DAG": "100",
    "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "128",
}
# What the polling thread calls, in turn.
POLLED = {
    "inbox": "/api/v2/dags/~/dagRuns/~/hitlDetails?limit=50&status=pending",
    "counts": "/api/v2/hitl/counts",
    "health": "/api/v2/monitor/health",
}
# The LocalExecutor's worker logs this (in the scheduler's log) when a task's supervisor failed:
# the execution API refused to start the task (START_CONFLICT), or did not answer in time
# (API_TIMEOUT, after the Task SDK client's retries), e.g. while SQLite was locked (DB_LOCKED, in
# the API server's log).
WORKER_FAILURE = "uhoh"
API_TIMEOUT = "httpx.ReadTimeout"
DB_LOCKED = "database is locked"
POLL_PAUSE = 1.0  # seconds between rounds of POLLED calls (the API server also starts the tasks)
ENDED = {"success", "failed", "skipped", "upstream_failed", "removed"}


def api_workers_for_machine() -> int:
    """The run command's ``[api] workers`` for this machine (one formula, in ``scripts/_env.sh``)."""
    done = subprocess.run(
        ["bash", "-c", f"source {REPO_ROOT / 'scripts/_env.sh'} && api_workers_for_machine"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


@dataclass
class Poller:
    """Calls the ``POLLED`` endpoints one after the other until stopped; latencies per phase."""

    stack: AirflowStack
    phase: str = "warm-up"
    latencies: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.stack.token('admin')}"}
        with httpx.Client(base_url=self.stack.base_url, headers=headers, timeout=60) as http:
            while not self._stop.is_set():
                for name, path in POLLED.items():
                    phase, started = self.phase, time.monotonic()
                    try:
                        status = http.get(path).status_code
                        outcome = None if status == 200 else f"HTTP {status}"
                    except httpx.HTTPError as err:
                        outcome = type(err).__name__
                    self.latencies[(phase, name)].append(time.monotonic() - started)
                    if outcome:
                        self.failures[(phase, name)].append(outcome)
                time.sleep(POLL_PAUSE)

    def stop(self) -> None:
        self._stop.set()


@dataclass
class Burst:
    """What happened to one burst of runs."""

    index: int
    runs: list[str] = field(default_factory=list)
    trigger_errors: int = 0  # triggers the API refused (5xx) or did not answer
    asked: int = 0  # gates that deferred (their request was made)
    failed_before_asking: int = 0
    gate_other: int = 0  # gates neither deferred nor failed when the wait ended
    all_asked_s: float | None = None
    answered: int = 0
    failed_after_answer: int = 0
    downstream_failed: int = 0
    runs_succeeded: int = 0
    start_refusals: int = 0  # the execution API's 409s for task starts (any task)
    worker_failures: int = 0  # "uhoh" in the scheduler's log
    api_timeouts: int = 0  # task supervisors whose execution API calls timed out
    db_locked: int = 0  # "database is locked" in the API server's log


def log_count(stack: AirflowStack, component: str, needle: str) -> int:
    path = stack.logs / f"{component}.log"
    return path.read_text(errors="replace").count(needle) if path.exists() else 0


def states(stack: AirflowStack, task_id: str, run_ids: list[str]) -> dict[str, str | None]:
    """The task's state in each run, read from the database (not through the API under test)."""
    rows = wait_for(
        lambda: stack.sql(
            "SELECT run_id, state FROM task_instance WHERE dag_id = :dag AND task_id = :task",
            dag=DAG_ID,
            task=task_id,
        )
        or [("", None)],
        30,
        "the task instances",
    )
    wanted = set(run_ids)
    return {run_id: state for run_id, state in rows if run_id in wanted}


def trigger_all(clients: ThreadClients, count: int) -> tuple[list[str], int]:
    """``count`` runs triggered at the same time (16 threads): the run ids, and how many triggers
    the API refused or did not answer."""

    def trigger(_: int) -> str | None:
        try:
            return clients.get().trigger(DAG_ID)
        except httpx.HTTPError:
            return None

    with ThreadPoolExecutor(max_workers=16) as pool:
        run_ids = list(pool.map(trigger, range(count)))
    return [run_id for run_id in run_ids if run_id], run_ids.count(None)


def wait_for_gates(stack: AirflowStack, burst: Burst, timeout: float) -> dict[str, str | None]:
    """Until every gate deferred or ended (or ``timeout``); the gates' states."""
    started, deadline = time.monotonic(), time.monotonic() + timeout
    while True:
        gates = states(stack, GATE, burst.runs)
        settled = sum(1 for s in gates.values() if s == "deferred" or s in ENDED)
        if settled == len(burst.runs):
            burst.all_asked_s = time.monotonic() - started
            return gates
        if time.monotonic() > deadline:
            return gates
        time.sleep(1)


def answer_all(
    stack: AirflowStack, clients: ThreadClients, burst: Burst, asked: list[str], timeout: float
) -> None:
    """Answer every request of the burst at once, then wait for the runs to end."""

    def answer(run_id: str) -> bool:
        api = clients.get()
        api.wait_for_request(DAG_ID, run_id, GATE, timeout=timeout)
        return api.respond(DAG_ID, run_id, GATE, ["Approve"]).status_code == 200

    with ThreadPoolExecutor(max_workers=16) as pool:
        burst.answered = sum(pool.map(answer, asked))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        afters = states(stack, AFTER, asked)
        gates = states(stack, GATE, asked)
        if all(s in ENDED for s in gates.values()) and all(afters.get(r) in ENDED for r in asked):
            break
        time.sleep(1)
    burst.failed_after_answer = sum(1 for s in gates.values() if s == "failed")
    burst.downstream_failed = sum(1 for s in afters.values() if s == "failed")
    burst.runs_succeeded = sum(1 for r in asked if afters.get(r) == "success")


def end_runs(clients: ThreadClients, run_ids: list[str]) -> None:
    """Mark the burst's runs failed, so that the next burst finds ``max_active_runs`` free (their
    requests are closed as cancelled)."""

    def end(run_id: str) -> None:
        clients.get().http.patch(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}", json={"state": "failed"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(end, run_ids))


def run_burst(
    stack: AirflowStack, clients: ThreadClients, poller: Poller, index: int, args: argparse.Namespace
) -> Burst:
    burst = Burst(index)
    counted = {
        "start_refusals": ("api-server", START_CONFLICT),
        "worker_failures": ("scheduler", WORKER_FAILURE),
        "api_timeouts": ("scheduler", API_TIMEOUT),
        "db_locked": ("api-server", DB_LOCKED),
    }
    before = {name: log_count(stack, *where) for name, where in counted.items()}
    poller.phase = f"burst {index}"
    burst.runs, burst.trigger_errors = trigger_all(clients, args.runs)
    gates = wait_for_gates(stack, burst, args.timeout)
    asked = [run_id for run_id, state in gates.items() if state == "deferred"]
    burst.asked = len(asked)
    burst.failed_before_asking = sum(1 for s in gates.values() if s == "failed")
    burst.gate_other = len(burst.runs) - burst.asked - burst.failed_before_asking
    if args.answer:
        answer_all(stack, clients, burst, asked, args.timeout)
    else:
        end_runs(clients, burst.runs)
    for name, where in counted.items():
        setattr(burst, name, log_count(stack, *where) - before[name])
    poller.phase = "between bursts"
    log(
        f"burst {index}: {burst.asked}/{len(burst.runs)} asked, {burst.failed_before_asking} failed before "
        f"asking ({burst.start_refusals} starts refused, {burst.api_timeouts} execution API timeouts, "
        f"{burst.db_locked} 'database is locked')"
        + (f", {burst.runs_succeeded} runs succeeded" if args.answer else "")
        + "; API "
        + ", ".join(
            f"{name} {latency_cell(poller.latencies[(f'burst {index}', name)], poller.failures[(f'burst {index}', name)])}"
            for name in POLLED
        )
    )
    return burst


def latency_cell(values: list[float], failures: list[str]) -> str:
    if not values:
        return "-"
    cell = f"{statistics.median(values):.2f} / {max(values):.2f} s (n={len(values)})"
    return cell + (f", {len(failures)} failed" if failures else "")


def report(bursts: list[Burst], poller: Poller, args: argparse.Namespace, api_workers: int) -> None:
    print()
    print(
        f"Bursts of {args.runs} runs, {args.stack} stack, executor {EXECUTORS[args.executor]}, "
        f"{api_workers} API server worker(s), "
        + ", ".join(f"{k.split('__')[-1].lower()}={v}" for k, v in LIMITS.items())
    )
    counts = [
        ("trigger errors", "trigger_errors"),
        ("failed before asking", "failed_before_asking"),
        ("other", "gate_other"),
        ("start refused (409)", "start_refusals"),
        ("worker 'uhoh'", "worker_failures"),
        ("execution API timeouts", "api_timeouts"),
        ("'database is locked'", "db_locked"),
    ]
    if args.answer:
        counts += [
            ("answered", "answered"),
            ("gate failed after answer", "failed_after_answer"),
            ("downstream failed", "downstream_failed"),
            ("runs succeeded", "runs_succeeded"),
        ]
    headers = ["burst", "asked", "all asked after", *(header for header, _ in counts)]
    rows: list[list[object]] = [
        [
            b.index,
            f"{b.asked}/{len(b.runs)}",
            f"{b.all_asked_s:.0f} s" if b.all_asked_s is not None else f"> {args.timeout:.0f} s",
            *(getattr(b, attr) for _, attr in counts),
        ]
        for b in bursts
    ]
    rows.append(
        [
            "all",
            f"{sum(b.asked for b in bursts)}/{sum(len(b.runs) for b in bursts)}",
            "",
            *(sum(getattr(b, attr) for b in bursts) for _, attr in counts),
        ]
    )
    print_table(headers, rows)
    print()
    print("API calls meanwhile (median / max latency):")
    phases = [f"burst {b.index}" for b in bursts]
    rows = []
    for name in POLLED:
        cells = [latency_cell(poller.latencies[(p, name)], poller.failures[(p, name)]) for p in phases]
        everything = [v for p in phases for v in poller.latencies[(p, name)]]
        failed = [f for p in phases for f in poller.failures[(p, name)]]
        rows.append([name, *cells, latency_cell(everything, failed)])
    print_table(["endpoint", *phases, "all bursts"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--runs", type=int, default=50, help="runs per burst, triggered at once")
    parser.add_argument("--executor", choices=sorted(EXECUTORS), default="hitl")
    parser.add_argument("--stack", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--api-workers", type=int, default=None, help="default: what the run command uses here"
    )
    parser.add_argument(
        "--answer", action="store_true", help="answer each burst's requests, count resumed tasks"
    )
    parser.add_argument("--pause", type=float, default=10, help="seconds between bursts")
    parser.add_argument("--timeout", type=float, default=600, help="per burst phase, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the stack's files (logs) afterwards")
    args = parser.parse_args(argv)
    api_workers = args.api_workers or api_workers_for_machine()
    config = replace(
        stack_config(args.stack, {**LIMITS, "AIRFLOW__CORE__EXECUTOR": EXECUTORS[args.executor]}),
        api_workers=api_workers,
    )
    reason = skip_reason(config)
    if reason:
        print(f"Cannot run on {args.stack}: {reason}")
        return 1
    try:
        with running_stack(config, [DAG_FILE], keep=args.keep) as stack:
            clients = ThreadClients(stack)
            clients.get().wait_for_dag(DAG_ID, timeout=180)
            poller = Poller(stack)
            thread = threading.Thread(target=poller.run, daemon=True)
            thread.start()
            bursts = []
            try:
                for index in range(1, args.bursts + 1):
                    bursts.append(run_burst(stack, clients, poller, index, args))
                    time.sleep(args.pause)
            finally:
                poller.stop()
                thread.join(timeout=120)
    except StackFailed as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    report(bursts, poller, args, api_workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
