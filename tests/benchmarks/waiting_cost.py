"""Benchmark: what N HITL requests cost while they wait and nobody answers.

Starts one stack (``--stack``, default sqlite) with ``[triggerer] capacity`` (and ``[core]
max_map_length``) raised to at least ``--requests``, measures a baseline window, creates N real
deferred requests (one run of a DAG with a mapped ``HITLOperator``: ``.partial(...).expand(...)``
over N subjects), waits until all N are deferred and visible through the API, and then, for
``--seconds`` with nobody answering, samples every second:

* the triggerer process tree's CPU% (100% = one core) and RSS (psutil, the triggerer's Popen pid
  and all its children);
* the HITL REST requests in the api-server's access log (this script sends none in the window:
  the design claims the feature polls nothing, so any would come from the feature itself);
* on PostgreSQL, ``pg_stat_database.xact_commit`` of the stack's database (commits/second; the
  scheduler's and triggerer's heartbeats cause some, so the baseline window shows that floor).

``--requests 10000`` needs ``[triggerer] capacity`` 10000, which this script sets (with
``max_map_length``); creating that many deferred tasks takes a long time on a small machine
(each mapped task instance runs once on the LocalExecutor before it defers).

``--lifecycle 0,1000,10000`` measures the API server side instead: for each number of pending
requests, a fresh PostgreSQL database is seeded the way ``tests/benchmarks/inbox_queries.py`` does
(ten requests per pending one; deferred task instances and triggers as Airflow has them, so the
request lifecycle sees exactly what it would see; no scheduler or triggerer runs, so nothing
changes them), then:

* the request lifecycle's rounds are run in this process for ``--seconds`` with every SQL
  statement counted and timed (statements per second, database time per second, this process's
  CPU per second, the reconcile's own statement time);
* a real API server with two worker processes (one holds the lifecycle lease) runs alone on it for
  ``--seconds`` with nobody reading: its process tree's CPU, and PostgreSQL's commits and rows read
  per second for the database.

Run from the repository root::

    .venv/bin/python -m tests.benchmarks.waiting_cost --requests 1000 --seconds 60
    .venv/bin/python -m tests.benchmarks.waiting_cost --requests 50 --seconds 20 --stack postgres
    .venv/bin/python -m tests.benchmarks.waiting_cost --lifecycle 0,1000,10000 --seconds 30

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil

from tests.stress.common import (
    StackFailed,
    effective_settings,
    log,
    print_table,
    running_stack,
    skip_reason,
    stack_config,
    start_conflicts,
)
from tests.system.airflow_stack import PG_ADMIN_URL

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack, ApiClient

DAG_FILE = Path(__file__).parent / "dags" / "hitl_bench_dags.py"
DAG_ID, TASK = "hitl_bench_waiting", "ask"
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>/\S*) HTTP/[0-9.]+"')
HITL_PATH = re.compile(r"/hitlDetails|^/api/v2/hitl(/|$|\?)|^/hitl(/|$|\?)")


@dataclass
class Window:
    """What one measurement window saw."""

    name: str
    pending: int
    seconds: float = 0.0
    cpu: list[float] = field(default_factory=list)  # percent of one core, per sample
    rss: list[int] = field(default_factory=list)  # bytes, per sample
    pss: list[int] = field(default_factory=list)  # bytes, per sample (shared pages split)
    processes: int = 0
    breakdown: dict[str, int] = field(default_factory=dict)  # process -> RSS at the last sample
    hitl_requests: int = 0
    all_requests: int = 0
    hitl_paths: dict[str, int] = field(default_factory=dict)
    commits: int | None = None


def process_name(proc: psutil.Process) -> str:
    """A short name: ``airflow triggerer``, ``gunicorn: worker ...``."""
    words = [Path(w).name if i < 2 and "/" in w else w for i, w in enumerate(proc.cmdline()) if w]
    if words[:1] and words[0].startswith("python"):
        words = words[1:]
    return " ".join(words[:2])[:40] or proc.name()


class TreeSampler:
    """CPU% and RSS of a process and all its descendants (children that come and go included)."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self._last: dict[int, tuple[psutil.Process, float]] = {}
        self._last_at = time.monotonic()
        self.sample()

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> dict[str, Any]:
        """CPU% since the last sample, RSS and PSS bytes now, and each process's RSS now."""
        now = time.monotonic()
        elapsed = max(now - self._last_at, 1e-6)
        busy, rss, pss, seen, breakdown = 0.0, 0, 0, {}, {}
        for proc in self._tree():
            try:
                times = proc.cpu_times()
                total = times.user + times.system
                memory = proc.memory_full_info()
                name = f"{proc.pid} {process_name(proc)}"
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            rss += memory.rss
            pss += getattr(memory, "pss", memory.rss)
            breakdown[name] = memory.rss
            known = self._last.get(proc.pid)
            if known is not None and known[0].create_time() == proc.create_time():
                busy += max(0.0, total - known[1])
            seen[proc.pid] = (proc, total)
        self._last, self._last_at = seen, now
        return {"cpu": 100.0 * busy / elapsed, "rss": rss, "pss": pss, "breakdown": breakdown}


def pg_commits(database: str) -> int:
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=5)
    conn.autocommit = True  # a fresh snapshot of the statistics each time
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (database,))
        return int(cursor.fetchone()[0])
    finally:
        conn.close()


def access_log_size(stack: AirflowStack) -> int:
    return (stack.logs / "api-server.log").stat().st_size


def count_requests(stack: AirflowStack, start: int, end: int, window: Window) -> None:
    """Count the access-log lines the api-server wrote between two file offsets."""
    with open(stack.logs / "api-server.log", "rb") as fh:
        fh.seek(start)
        text = fh.read(end - start).decode(errors="replace")
    for line in text.splitlines():
        match = ACCESS_LINE.search(line)
        if not match:
            continue
        window.all_requests += 1
        path = match["path"]
        if HITL_PATH.search(path):
            window.hitl_requests += 1
            key = f"{match['method']} {path.split('?')[0]}"
            window.hitl_paths[key] = window.hitl_paths.get(key, 0) + 1


def measure(stack: AirflowStack, sampler: TreeSampler, window: Window, seconds: float) -> Window:
    """Sample every second for ``seconds`` while this script sends no request to the stack."""
    log(f"measuring '{window.name}' for {seconds:.0f}s ({window.pending} pending requests)")
    commits_before = pg_commits(stack.pg_database) if stack.pg_database else None
    log_start = access_log_size(stack)
    sampler.sample()
    started = time.monotonic()
    next_at = started + 1.0
    while next_at <= started + seconds + 1e-6:
        time.sleep(max(0.0, next_at - time.monotonic()))
        sample = sampler.sample()
        window.cpu.append(sample["cpu"])
        window.rss.append(sample["rss"])
        window.pss.append(sample["pss"])
        window.breakdown = sample["breakdown"]
        window.processes = max(window.processes, len(sample["breakdown"]))
        next_at += 1.0
    window.seconds = time.monotonic() - started
    if commits_before is not None and stack.pg_database:
        window.commits = pg_commits(stack.pg_database) - commits_before
    count_requests(stack, log_start, access_log_size(stack), window)
    return window


def deferred_count(api: ApiClient, run_id: str) -> tuple[int, int]:
    """(deferred, failed) task instances of the run (failed: retries exhausted)."""
    counts = []
    for state in ("deferred", "failed"):
        response = api.http.get(
            f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"state": state, "limit": 1}
        )
        response.raise_for_status()
        counts.append(response.json()["total_entries"])
    return counts[0], counts[1]


def pending_total(api: ApiClient) -> tuple[int, float]:
    started = time.monotonic()
    total = api.list_requests("~", "~", status="pending", limit=1)["total_entries"]
    return total, time.monotonic() - started


def create_requests(api: ApiClient, n: int, timeout: float) -> dict[str, Any]:
    """One run of the mapped DAG; wait until all ``n`` task instances are deferred and visible."""
    started = time.monotonic()
    run_id = api.trigger(DAG_ID, conf={"n": n})
    deadline = started + timeout
    deferred = failed = 0
    last_logged = 0.0
    while time.monotonic() < deadline:
        deferred, failed = deferred_count(api, run_id)
        if deferred + failed >= n:
            break
        if time.monotonic() - last_logged > 15:
            log(f"  {deferred}/{n} deferred after {time.monotonic() - started:.0f}s")
            last_logged = time.monotonic()
        time.sleep(3)
    if deferred + failed < n or deferred == 0:
        raise RuntimeError(
            f"only {deferred}/{n} mapped HITL tasks deferred ({failed} failed) within {timeout:.0f}s"
        )
    if failed:
        # Task starts refused by Airflow 3.0.6's LocalExecutor start race: measure the rest.
        log(f"  {failed} of {n} mapped tasks failed before deferring; measuring the {deferred} that wait")
    all_deferred = time.monotonic() - started
    first_total, first_read = pending_total(api)
    visible_deadline = time.monotonic() + 120
    while first_total < deferred and time.monotonic() < visible_deadline:
        time.sleep(1)
        first_total, _ = pending_total(api)
    second_total, second_read = pending_total(api)
    return {
        "run_id": run_id,
        "all_deferred_s": all_deferred,
        "first_list_read_s": first_read,
        "second_list_read_s": second_read,
        "pending": second_total,
        "failed_before_deferring": failed,
    }


def fmt_mb(values: list[int], how: str) -> str:
    if not values:
        return "-"
    value = statistics.mean(values) if how == "mean" else max(values)
    return f"{value / 1e6:.1f}"


def report(windows: list[Window], info: dict[str, Any], args: argparse.Namespace, database: str) -> None:
    print()
    print(
        f"stack: {args.stack}; requests: {args.requests}; window: {args.seconds:.0f}s; "
        f"[triggerer] capacity {info['capacity']}; settings: {info['settings']}"
    )
    if "created" in info:
        c = info["created"]
        print(
            f"creating: {c['pending']} of {args.requests} deferred ({c['failed_before_deferring']} failed "
            f"first) {c['all_deferred_s']:.1f}s after the trigger; "
            f"first pending-list read {c['first_list_read_s']:.2f}s, "
            f"next read {c['second_list_read_s']:.2f}s; pending visible: {c['pending']}; task starts "
            f"refused (Airflow 3.0.6 LocalExecutor start race, apache/airflow#56010, retried): "
            f"{info.get('start_conflicts')}"
        )
    rows = []
    for w in windows:
        per_s = max(w.seconds, 1e-6)
        rows.append(
            [
                w.name,
                w.pending,
                f"{statistics.mean(w.cpu):.2f}" if w.cpu else "-",
                f"{max(w.cpu):.2f}" if w.cpu else "-",
                fmt_mb(w.rss, "mean"),
                fmt_mb(w.rss, "max"),
                fmt_mb(w.pss, "mean"),
                w.processes,
                f"{w.hitl_requests} ({w.hitl_requests / per_s:.2f}/s)",
                f"{w.all_requests} ({w.all_requests / per_s:.2f}/s)",
                f"{w.commits} ({w.commits / per_s:.2f}/s)" if w.commits is not None else "n/a (sqlite)",
            ]
        )
    print_table(
        [
            "window",
            "pending",
            "trig CPU% mean",
            "trig CPU% max",
            "trig RSS MB mean",
            "trig RSS MB max",
            "trig PSS MB mean",
            "trig procs",
            "HITL API reqs",
            "all API reqs",
            f"pg commits ({database})" if database else "pg commits",
        ],
        rows,
    )
    if len(windows) == 2 and windows[0].rss and windows[1].rss:
        before, during = statistics.mean(windows[0].rss), statistics.mean(windows[1].rss)
        print(
            f"triggerer RSS before the requests: {before / 1e6:.1f} MB; while {windows[1].pending} wait: "
            f"{during / 1e6:.1f} MB ({(during - before) / 1e6:+.1f} MB, "
            f"{(during - before) / max(windows[1].pending, 1) / 1e3:+.1f} kB per request)"
        )
    for w in windows:
        parts = ", ".join(f"{name}: {rss / 1e6:.0f}" for name, rss in sorted(w.breakdown.items()))
        print(f"  triggerer processes in '{w.name}' (RSS MB): {parts}")
        if w.hitl_paths:
            print(f"  HITL requests in '{w.name}': {w.hitl_paths}")
    print()
    print(
        "CPU% is the triggerer process tree's user+system CPU time per wall second (100 = one core),\n"
        "sampled every second; RSS is the tree's resident memory (summed: pages shared by forked\n"
        "processes count once per process; PSS splits them). API requests are counted from the\n"
        "api-server's access log over the window, during which this script sends none. PostgreSQL\n"
        "commits are pg_stat_database.xact_commit of the stack's database (backends report their\n"
        "statistics up to about a second late, so a window's count is approximate)."
    )


def pg_activity(database: str) -> tuple[int, int]:
    """(commits, rows returned) of ``database`` so far (pg_stat_database)."""
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_URL, connect_timeout=5)
    conn.autocommit = True
    try:
        cursor = conn.cursor()
        cursor.execute(
            "SELECT xact_commit, tup_returned + tup_fetched FROM pg_stat_database WHERE datname = %s",
            (database,),
        )
        commits, rows = cursor.fetchone()
        return int(commits), int(rows)
    finally:
        conn.close()


def lifecycle_rounds(stack: AirflowStack, seconds: float) -> dict[str, float]:
    """The lifecycle's rounds in this process for ``seconds``: statements and their time."""
    import os

    os.environ.update(stack.env())
    from sqlalchemy import event

    from airflow import settings
    from airflow.hitl.config import get_settings
    from airflow.hitl.services.lifecycle import WATERMARK_LOOKBACK, RequestLifecycle

    settings.SQL_ALCHEMY_CONN = stack.sql_alchemy_conn
    settings.configure_orm()
    assert settings.engine is not None
    counted = {"statements": 0, "db_seconds": 0.0, "reconcile_seconds": 0.0}
    started_at: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started_at[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        took = time.perf_counter() - started_at.pop(id(cursor), time.perf_counter())
        counted["statements"] += 1
        counted["db_seconds"] += took
        if (
            "NOT (EXISTS (SELECT" in statement
            and "task_instance.try_number = hitl_request.try_number" in statement
        ):
            counted["reconcile_seconds"] += took

    lifecycle = RequestLifecycle(holder="waiting-cost-benchmark")
    interval = get_settings().lifecycle_interval
    # Taking the lease (a catch-up over everything) and the first WATERMARK_LOOKBACK seconds (every
    # round compares all waiting tries until the watermark's first sample is old enough) are not
    # the steady state: they run unmeasured.
    warm_until = time.monotonic() + WATERMARK_LOOKBACK + 1
    while time.monotonic() < warm_until:
        lifecycle.tick()
        time.sleep(interval)
    event.listen(settings.engine, "before_cursor_execute", before)
    event.listen(settings.engine, "after_cursor_execute", after)
    cpu_before, begin = time.process_time(), time.monotonic()
    rounds = 0
    while time.monotonic() - begin < seconds:
        round_started = time.monotonic()
        lifecycle.tick()
        rounds += 1
        time.sleep(max(0.0, interval - (time.monotonic() - round_started)))
    elapsed = time.monotonic() - begin
    cpu = time.process_time() - cpu_before
    event.remove(settings.engine, "before_cursor_execute", before)
    event.remove(settings.engine, "after_cursor_execute", after)
    lifecycle.stop()
    settings.dispose_orm()
    return {
        "rounds": rounds,
        "statements_per_s": counted["statements"] / elapsed,
        "db_ms_per_s": 1000 * counted["db_seconds"] / elapsed,
        "reconcile_ms": 1000
        * counted["reconcile_seconds"]
        / max(1, round(elapsed / get_settings().reconcile_interval)),
        "cpu_ms_per_s": 1000 * cpu / elapsed,
    }


def lifecycle_cost(levels: list[int], seconds: float) -> int:
    """``--lifecycle``: the API server's background work with 0, 1,000, 10,000 pending requests."""
    import tempfile
    from dataclasses import replace

    from tests.benchmarks.inbox_queries import BENCH, TASKS_PER_RUN, seed
    from tests.system.airflow_stack import AirflowStack

    reason = skip_reason(BENCH)
    if reason:
        print(f"Cannot run: {reason}")
        return 1
    rows = []
    for pending in levels:
        # [hitl] settings as deployed (the test stacks check deleted runs every second).
        config = replace(BENCH, api_workers=2, extra_env={"AIRFLOW__HITL__DELETED_RUNS_CHECK_INTERVAL": "60"})
        stack = AirflowStack(config, Path(tempfile.mkdtemp(prefix="hitl-bench-lifecycle-")))
        try:
            stack.prepare()
            if pending:
                seed(stack, pending * TASKS_PER_RUN)
            log(f"{pending} pending: the lifecycle's rounds in this process for {seconds:.0f}s")
            rounds = lifecycle_rounds(stack, seconds)
            stack.start(components=(), fresh=False)
            sampler = TreeSampler(
                next(p.pid for n, p in stack.processes.items() if n.startswith("api-server"))
            )
            time.sleep(10)  # the lease passes from this process (expired) to a server process
            log(f"{pending} pending: an API server alone, nobody reading, for {seconds:.0f}s")
            commits_before, read_before = pg_activity(stack.pg_database or "")
            sampler.sample()
            cpu = []
            begin = time.monotonic()
            while time.monotonic() - begin < seconds:
                time.sleep(1.0)
                cpu.append(sampler.sample()["cpu"])
            elapsed = time.monotonic() - begin
            commits_after, read_after = pg_activity(stack.pg_database or "")
            holder = stack.sql("SELECT holder FROM hitl_lease WHERE name = 'lifecycle'")
            rows.append(
                [
                    pending,
                    pending * TASKS_PER_RUN if pending else 0,
                    rounds["rounds"],
                    f"{rounds['statements_per_s']:.1f}",
                    f"{rounds['db_ms_per_s']:.2f}",
                    f"{rounds['reconcile_ms']:.1f}",
                    f"{rounds['cpu_ms_per_s']:.1f}",
                    f"{statistics.mean(cpu):.2f}",
                    f"{(commits_after - commits_before) / elapsed:.1f}",
                    f"{(read_after - read_before) / elapsed:,.0f}",
                    "yes" if holder and holder[0][0] and holder[0][0] != "waiting-cost-benchmark" else "no",
                ]
            )
        finally:
            stack.stop()
    print()
    print_table(
        [
            "pending",
            "requests",
            "rounds",
            "stmts/s",
            "db ms/s",
            "reconcile ms",
            "cpu ms/s",
            "api-server CPU%",
            "pg commits/s",
            "pg rows read/s",
            "server took lease",
        ],
        rows,
    )
    print(
        "\nstmts/s, db ms/s, cpu ms/s: the lifecycle's rounds in this process (every SQL statement\n"
        "counted and timed; db ms/s includes the network round trips). reconcile ms: its one\n"
        "statement over all open requests, once per [hitl] reconcile_interval. api-server CPU%: a\n"
        "real API server (2 worker processes) alone on the database with nobody reading (100 = one\n"
        "core); pg commits/s and rows read/s: pg_stat_database of that database over the same window."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=1000, help="deferred HITL requests to create")
    parser.add_argument("--seconds", type=float, default=60, help="length of each measurement window")
    parser.add_argument("--quiet-seconds", type=float, default=10, help="pause before each window")
    parser.add_argument(
        "--create-timeout", type=float, default=None, help="seconds to create them (default 300 + 2 s each)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the stack's files (logs) afterwards")
    parser.add_argument(
        "--lifecycle",
        default=None,
        help="comma-separated numbers of pending requests: measure the API server's background work",
    )
    args = parser.parse_args(argv)
    if args.lifecycle is not None:
        return lifecycle_cost([int(n) for n in args.lifecycle.split(",")], args.seconds)
    if args.requests < 1 or args.seconds < 1:
        parser.error("--requests and --seconds must be >= 1")
    capacity = max(1000, args.requests)
    config = stack_config(
        args.stack,
        {
            "AIRFLOW__TRIGGERER__CAPACITY": str(capacity),
            "AIRFLOW__CORE__MAX_MAP_LENGTH": str(max(1024, args.requests)),
        },
    )
    reason = skip_reason(config)
    if reason:
        print(f"Cannot run on {args.stack}: {reason}")
        return 1
    info: dict[str, Any] = {"capacity": capacity}
    windows: list[Window] = []
    database = ""
    try:
        with running_stack(config, [DAG_FILE], keep=args.keep) as stack:
            database = stack.pg_database or ""
            info["settings"] = effective_settings(stack)
            api = stack.client("admin")
            api.wait_for_dag(DAG_ID, timeout=180)
            sampler = TreeSampler(stack.processes["triggerer"].pid)
            time.sleep(args.quiet_seconds)
            windows.append(measure(stack, sampler, Window("baseline (no requests)", 0), args.seconds))
            log(f"creating {args.requests} deferred requests")
            timeout = args.create_timeout or 300 + 2.0 * args.requests
            try:
                info["created"] = create_requests(api, args.requests, timeout)
            except (RuntimeError, TimeoutError, httpx.HTTPError) as err:
                print(f"ERROR: could not create the requests: {err}", file=sys.stderr)
                print(stack.dump_logs(40), file=sys.stderr)
                report(windows, info, args, database)
                return 1
            info["start_conflicts"] = start_conflicts(stack)
            api.http.close()
            time.sleep(args.quiet_seconds)
            pending = info["created"]["pending"]
            windows.append(measure(stack, sampler, Window("waiting (nobody answers)", pending), args.seconds))
    except StackFailed as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return 1
    report(windows, info, args, database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
