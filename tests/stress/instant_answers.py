"""Stress: answer HITL requests the instant they become visible, many times over.

For each stack configuration (sqlite, postgres) and each gate ``retries`` value (0 and 1), triggers
``--runs`` DAG runs of a DAG whose first task is an approval gate, with at most ``--batch`` runs in
flight at once. Each run's request is answered ("Approve") as soon as it shows in the API, which is
inside ``[hitl] resume_settle_seconds`` of the deferral: the answer is recorded at once and the task
is resumed when the settle time has passed. Then it reports whether any answer was lost, any gate
failed or needed another try, and how long "answer -> task success" took.

Run from the repository root::

    .venv/bin/python -m tests.stress.instant_answers                      # 100 runs, both stacks
    .venv/bin/python -m tests.stress.instant_answers --runs 5 --stacks sqlite   # a smoke run

Exit status: 0 when every run could be driven (whatever the figures), 1 when a stack did not
start or runs could not be triggered. Timing is reported, never asserted.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tests.stress.common import (
    StackFailed,
    ThreadClients,
    component_log,
    effective_settings,
    log,
    parse_ts,
    print_table,
    running_stack,
    settle_env,
    skip_reason,
    spread,
    stack_config,
)
from tests.system.airflow_stack import CONFIGS

if TYPE_CHECKING:
    from tests.system.airflow_stack import AirflowStack, ApiClient

DAG_FILE = Path(__file__).parent / "dags" / "hitl_stress_dags.py"
DAG_IDS = {0: "hitl_stress_instant_retries0", 1: "hitl_stress_instant_retries1"}
GATE = "gate"
AFTER = "after"
ANSWER = ["Approve"]
# The execution API's log when a worker starts a task instance that is not queued (yet).
TI_DETAILS = re.compile(r"Retrieved task instance details dag_id=(?P<dag_id>\S+) .*?ti_id=(?P<ti_id>[\w-]+)")
START_CONFLICT = re.compile(r"Cannot start Task Instance in invalid state .*?ti_id=(?P<ti_id>[\w-]+)")
# The scheduler reading an executor's report of a finished run of the gate's first try: the
# earliest one before the gate ended is the deferring run's (the CeleryExecutor also reports
# "queued" when it hands a task to Celery; with several schedulers, their logs interleave).
REPORT_READ = re.compile(
    r"^\[(?P<at>[^\]]+)\] \{scheduler_job_runner\.py:\d+\} INFO - Received executor event with state "
    r"(?P<state>success|failed) for task instance TaskInstanceKey\(dag_id='(?P<dag_id>[^']+)', task_id='gate', "
    r"run_id='(?P<run_id>[^']+)', try_number=1,",
    re.MULTILINE,
)
FINISHED = {"success", "failed"}
GATE_ENDED = {"success", "failed", "skipped", "upstream_failed", "removed"}
ENDED_CHECK = 2.0  # seconds between checks that a gate whose request is awaited has not ended
# The scheduler's error when an executor reports a finished run of a task whose state says it has
# not run (the task is then failed: "task state changed externally").
STATE_MISMATCH = re.compile(
    r"reported that the task instance <TaskInstance: (?P<dag_id>\S+?)\.(?P<task_id>[^\s.]+) (?P<run_id>\S+) "
    r"\[\w+\]> finished with state (?P<reported>\w+), but the task instance's state attribute is "
    r"(?P<state>\w+)"
)


@dataclass
class RunRecord:
    """What happened to one DAG run."""

    dag_id: str
    run_id: str = ""
    error: str | None = None  # the run could not be triggered
    visible_at: float | None = None  # client clock, request first seen
    answer_status: int | None = None
    answer_detail: str = ""
    responded_at: float | None = None  # server's record of the (first) answer
    deferred_at: float | None = None  # the gate's trigger created_date (the deferral)
    report_read_at: float | None = None  # the scheduler read the deferring run's executor report
    reasked: int = 0  # later tries' requests answered again
    missing_retry_request: int | None = None  # a later try waits but its request never showed
    run_state: str | None = None
    gate_state: str | None = None
    gate_end: float | None = None
    after_state: str | None = None
    after_end: float | None = None
    tries: list[tuple[int, str | None]] = field(default_factory=list)
    chosen_options: Any = None
    poll_errors: int = 0
    # (task_id, state the executor reported, state the task instance had) from the scheduler log
    mismatches: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def resume_race(self) -> bool:
        """The race the settle time is for: the deferring run's success report came after the resume."""
        return any(task == GATE and reported == "success" for task, reported, _ in self.mismatches)

    @property
    def start_race(self) -> bool:
        """A task failed because a worker started it before the scheduler committed it as queued."""
        return any(reported == "failed" and state == "queued" for _, reported, state in self.mismatches)

    @property
    def answered(self) -> bool:
        return self.answer_status == 200

    @property
    def lost(self) -> bool:
        return self.answered and (self.chosen_options != ANSWER or self.after_state != "success")

    @property
    def gate_failed(self) -> bool:
        return self.gate_state == "failed" or any(state == "failed" for _, state in self.tries)


class PendingWatcher(threading.Thread):
    """Lists the DAG's pending requests every ``interval`` while some run waits for its request."""

    def __init__(self, clients: ThreadClients, dag_id: str, interval: float) -> None:
        super().__init__(name=f"watch-{dag_id}", daemon=True)
        self.clients = clients
        self.dag_id = dag_id
        self.interval = interval
        self.errors = 0
        self.polls = 0
        self._lock = threading.Lock()
        self._waiting: dict[str, threading.Event] = {}
        self._seen: dict[str, float] = {}
        self._halt = threading.Event()

    def watch(self, run_id: str) -> threading.Event:
        with self._lock:
            event = self._waiting.setdefault(run_id, threading.Event())
        return event

    def seen_at(self, run_id: str) -> float | None:
        with self._lock:
            self._waiting.pop(run_id, None)
            return self._seen.pop(run_id, None)

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        api = self.clients.get()
        while not self._halt.is_set():
            with self._lock:
                waiting = [run_id for run_id, event in self._waiting.items() if not event.is_set()]
            if waiting:
                self.polls += 1
                try:
                    found = api.list_requests(self.dag_id, "~", status="pending", task_id=GATE, limit=100)
                except (httpx.HTTPError, ValueError):
                    self.errors += 1
                    found = {"hitl_details": []}
                now = time.time()
                with self._lock:
                    for item in found["hitl_details"]:
                        run_id = item["task_instance"]["dag_run_id"]
                        event = self._waiting.get(run_id)
                        if event is not None and not event.is_set():
                            self._seen[run_id] = now
                            event.set()
            self._halt.wait(self.interval)


class Driver:
    """Drives runs of one DAG on one stack: trigger, answer at once, follow to the end."""

    def __init__(self, stack: AirflowStack, dag_id: str, args: argparse.Namespace) -> None:
        self.stack = stack
        self.dag_id = dag_id
        self.args = args
        self.clients = ThreadClients(stack)
        self.watcher = (
            PendingWatcher(self.clients, dag_id, args.poll_interval) if args.poll == "list" else None
        )

    def gate_ended(self, api: ApiClient, record: RunRecord) -> str | None:
        """The gate's state when it ended without waiting for an answer (e.g. failed to start)."""
        try:
            state = api.task_instance(self.dag_id, record.run_id, GATE)["state"]
        except (httpx.HTTPError, KeyError):
            record.poll_errors += 1
            return None
        return state if state in GATE_ENDED else None

    def wait_visible(self, api: ApiClient, record: RunRecord) -> bool:
        deadline = time.monotonic() + self.args.visible_timeout
        next_check = time.monotonic() + ENDED_CHECK
        if self.watcher is not None:
            event = self.watcher.watch(record.run_id)
            while not event.wait(ENDED_CHECK) and time.monotonic() < deadline:
                if (ended := self.gate_ended(api, record)) is not None:
                    record.answer_detail = f"the gate ended ({ended}) before its request was seen"
                    break
            record.visible_at = self.watcher.seen_at(record.run_id)
            return record.visible_at is not None
        while time.monotonic() < deadline:
            try:
                response = api.get_request(self.dag_id, record.run_id, GATE)
            except httpx.HTTPError:
                record.poll_errors += 1
                response = None
            if response is not None and response.status_code == 200:
                record.visible_at = time.time()
                return True
            if response is not None and response.status_code != 404:
                record.poll_errors += 1
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + ENDED_CHECK
                if (ended := self.gate_ended(api, record)) is not None:
                    record.answer_detail = f"the gate ended ({ended}) before its request was seen"
                    return False
            time.sleep(self.args.poll_interval)
        return False

    def answer(self, api: ApiClient, record: RunRecord) -> None:
        try:
            response = api.respond(self.dag_id, record.run_id, GATE, ANSWER)
        except httpx.HTTPError as err:
            record.answer_detail = f"{type(err).__name__}: {err}"
            return
        record.answer_status = response.status_code
        if response.status_code == 200:
            record.responded_at = parse_ts(response.json()["responded_at"])
        else:
            record.answer_detail = response.text[:300]

    def drive(self, index: int) -> RunRecord:
        api = self.clients.get()
        record = RunRecord(self.dag_id)
        try:
            record.run_id = api.trigger(self.dag_id)
        except (httpx.HTTPError, TimeoutError) as err:
            record.error = f"trigger failed: {err}"
            return record
        if not self.wait_visible(api, record):
            record.answer_detail = (
                record.answer_detail or f"request not visible within {self.args.visible_timeout:.0f}s"
            )
        else:
            self.answer(api, record)
            try:  # the deferral time, while the gate still waits (its trigger is gone afterwards)
                trigger = api.task_instance(self.dag_id, record.run_id, GATE).get("trigger")
                record.deferred_at = parse_ts(trigger["created_date"]) if trigger else None
            except httpx.HTTPError:
                record.poll_errors += 1
        self.follow(api, record)
        self.collect(api, record)
        if index % 10 == 9:
            log(f"  {self.dag_id}: {index + 1} runs done")
        return record

    def follow(self, api: ApiClient, record: RunRecord) -> None:
        """Wait for the run to finish, answering a later try's request (retries) if one appears."""
        answered_try = 1
        missing_since: float | None = None
        deadline = time.monotonic() + self.args.run_timeout
        while time.monotonic() < deadline:
            try:
                run = api.http.get(f"/api/v2/dags/{self.dag_id}/dagRuns/{record.run_id}").json()
                if run["state"] in FINISHED:
                    record.run_state = run["state"]
                    return
                gate = api.task_instance(self.dag_id, record.run_id, GATE)
            except (httpx.HTTPError, ValueError, KeyError):
                record.poll_errors += 1
                time.sleep(self.args.wait_interval)
                continue
            if record.answered and gate["state"] == "deferred" and gate["try_number"] > answered_try:
                # A new try asks again: the first answer did not finish the task. Answer it too.
                detail = api.get_request(self.dag_id, record.run_id, GATE)
                body = detail.json() if detail.status_code == 200 else {}
                shown_try = body.get("task_instance", {}).get("try_number")
                if body.get("status") == "pending" and shown_try == gate["try_number"]:
                    reply = api.respond(self.dag_id, record.run_id, GATE, ANSWER)
                    if reply.status_code == 200:
                        record.reasked += 1
                        answered_try = gate["try_number"]
                        missing_since = None
                else:
                    missing_since = missing_since or time.monotonic()
                    if time.monotonic() - missing_since > self.args.reask_timeout:
                        record.missing_retry_request = gate["try_number"]
                        record.answer_detail += (
                            f" try {gate['try_number']} waits (deferred) but its request is not in the API"
                            f" after {self.args.reask_timeout:.0f}s (latest request: try {shown_try},"
                            f" {body.get('status') or detail.status_code})"
                        )
                        return
            time.sleep(self.args.wait_interval)

    def collect(self, api: ApiClient, record: RunRecord) -> None:
        try:
            gate = api.task_instance(self.dag_id, record.run_id, GATE)
            after = api.task_instance(self.dag_id, record.run_id, AFTER)
            record.gate_state, record.gate_end = gate["state"], parse_ts(gate["end_date"])
            record.after_state, record.after_end = after["state"], parse_ts(after["end_date"])
            record.tries = [
                (t["try_number"], t["state"]) for t in api.tries(self.dag_id, record.run_id, GATE)
            ]
            xcom = api.http.get(
                f"/api/v2/dags/{self.dag_id}/dagRuns/{record.run_id}/taskInstances/{GATE}"
                "/xcomEntries/return_value"
            )
            if xcom.status_code == 200:
                value = xcom.json()["value"]
                record.chosen_options = value.get("chosen_options") if isinstance(value, dict) else value
        except (httpx.HTTPError, ValueError, KeyError) as err:
            record.poll_errors += 1
            record.answer_detail += f" (collecting failed: {err})"

    def run_all(self, runs: int) -> list[RunRecord]:
        self.clients.get().wait_for_dag(self.dag_id, timeout=180)
        if self.watcher is not None:
            self.watcher.start()
        try:
            with ThreadPoolExecutor(max_workers=self.args.batch, thread_name_prefix="run") as pool:
                return list(pool.map(self.drive, range(runs)))
        finally:
            if self.watcher is not None:
                self.watcher.stop()
                self.watcher.join(timeout=5)


@dataclass
class Outcome:
    config: str
    retries: int
    records: list[RunRecord]
    seconds: float
    watcher_polls: int = 0
    watcher_errors: int = 0
    start_conflicts: int = 0  # api-server: "Cannot start Task Instance in invalid state"


def report(outcomes: list[Outcome], settle: dict[str, Any]) -> None:
    print()
    print(f"resume_settle_seconds in effect: {settle}")
    headers = [
        "stack",
        "retries",
        "runs",
        "driven",
        "answered 200",
        "other answers",
        "failed gates",
        "extra tries",
        "re-asked",
        "retry request missing",
        "lost answers",
        "unfinished",
        "poll errors",
        "lost: start race",
        "resume races",
        "start races",
        "wall s",
    ]
    rows = []
    for o in outcomes:
        recs = o.records
        other = Counter(str(r.answer_status) for r in recs if r.answer_status not in (200, None))
        other.update("not sent" for r in recs if r.answer_status is None and not r.error)
        rows.append(
            [
                o.config,
                o.retries,
                len(recs),
                sum(1 for r in recs if not r.error),
                sum(1 for r in recs if r.answered),
                ", ".join(f"{k}: {v}" for k, v in sorted(other.items())) or "0",
                sum(1 for r in recs if r.gate_failed),
                sum(1 for r in recs if any(n > 1 for n, _ in r.tries)),
                sum(r.reasked for r in recs),
                sum(1 for r in recs if r.missing_retry_request),
                sum(1 for r in recs if r.lost),
                sum(1 for r in recs if not r.error and r.run_state is None),
                sum(r.poll_errors for r in recs) + o.watcher_errors,
                sum(1 for r in recs if r.lost and r.start_race),
                sum(1 for r in recs if r.resume_race),
                f"{sum(1 for r in recs if r.start_race)} ({o.start_conflicts} x 409)",
                f"{o.seconds:.0f}",
            ]
        )
    print_table(headers, rows)
    print()
    timing_headers = ["stack", "retries", "figure", "min / median / max"]
    timing_rows = []
    for o in outcomes:
        ok = [r for r in o.records if r.answered]
        figures = {
            "deferral -> executor report read": [
                r.report_read_at - r.deferred_at for r in o.records if r.report_read_at and r.deferred_at
            ],
            "deferral -> answer recorded": [
                r.responded_at - r.deferred_at for r in ok if r.responded_at and r.deferred_at
            ],
            "answer -> gate success": [
                r.gate_end - r.responded_at
                for r in ok
                if r.gate_state == "success" and r.gate_end and r.responded_at
            ],
            "answer -> downstream success": [
                r.after_end - r.responded_at
                for r in ok
                if r.after_state == "success" and r.after_end and r.responded_at
            ],
        }
        for name, values in figures.items():
            timing_rows.append([o.config, o.retries, name, spread(values)])
    print_table(timing_headers, timing_rows)
    print()
    print("Timestamps: 'answer' is the server's responded_at, 'gate/downstream success' the task")
    print("instances' end_date, 'deferral' the gate's trigger created_date (all from the REST API);")
    print("'executor report read': the scheduler's log line for the deferring run's executor event (the")
    print("moment after which resuming cannot race it; no row in the database records it).")
    print("'resume races': the scheduler failed the gate because the executor's report of its deferring")
    print("run came after the resume (what resume_settle_seconds prevents). 'start races': a task failed")
    print("because a LocalExecutor worker started it before the scheduler committed it as queued (409 from")
    print("the execution API; an Airflow 3.0.6 bug fixed upstream in apache/airflow#56010, not the feature).")
    print("'lost: start race' are lost answers explained by such a start race. 're-asked': a later try")
    print("of the gate asked again and was answered again. 'retry request missing': a later try of the")
    print("gate waits (deferred) but the API never showed its request, so nobody could answer it.")
    anomalies = [
        (o, r)
        for o in outcomes
        for r in o.records
        if r.error
        or r.lost
        or r.gate_failed
        or r.reasked
        or r.run_state is None
        or not r.answered
        or r.mismatches
    ]
    if anomalies:
        print()
        print(f"Runs worth a look ({len(anomalies)}, at most 20 shown):")
        for o, r in anomalies[:20]:
            print(
                f"  {o.config} retries={o.retries} {r.run_id or '-'}: run={r.run_state} gate={r.gate_state} "
                f"tries={r.tries} after={r.after_state} answer={r.answer_status} "
                f"chosen={r.chosen_options} re-asked={r.reasked} scheduler-mismatches={r.mismatches} "
                f"{r.error or r.answer_detail}".rstrip()
            )


def run_config(name: str, args: argparse.Namespace, outcomes: list[Outcome], settle: dict) -> None:
    config = stack_config(name, settle_env(args.settle_seconds))
    with running_stack(config, [DAG_FILE], keep=args.keep) as stack:
        settle[name] = effective_settings(stack).get("resume_settle_seconds")
        log(f"{name}: resume_settle_seconds = {settle[name]}")
        for retries in args.retries:
            dag_id = DAG_IDS[retries]
            log(f"{name}: {args.runs} runs of {dag_id}, at most {args.batch} at once ({args.poll} polling)")
            started = time.monotonic()
            driver = Driver(stack, dag_id, args)
            records = driver.run_all(args.runs)
            outcome = Outcome(name, retries, records, time.monotonic() - started)
            if driver.watcher is not None:
                outcome.watcher_polls, outcome.watcher_errors = driver.watcher.polls, driver.watcher.errors
            outcomes.append(outcome)
        attribute_mismatches(stack, [o for o in outcomes if o.config == name])


def attribute_mismatches(stack: AirflowStack, outcomes: list[Outcome]) -> None:
    """Attach the scheduler's "state changed externally" errors to the runs they concern."""
    by_run = {r.run_id: r for o in outcomes for r in o.records if r.run_id}
    text = component_log(stack, "scheduler")
    found = 0
    for match in STATE_MISMATCH.finditer(text):
        record = by_run.get(match["run_id"])
        if record is not None:
            record.mismatches.append((match["task_id"], match["reported"], match["state"]))
            found += 1
    for match in REPORT_READ.finditer(text):
        record = by_run.get(match["run_id"])
        read_at = parse_ts(match["at"].replace("+0000", "+00:00"))
        if record is None or read_at is None or (record.gate_end and read_at >= record.gate_end):
            continue
        record.report_read_at = min(read_at, record.report_read_at or read_at)
    api_log = component_log(stack, "api-server")
    dag_of_ti = {m["ti_id"]: m["dag_id"] for m in TI_DETAILS.finditer(api_log)}
    conflicts = Counter(dag_of_ti.get(m["ti_id"]) for m in START_CONFLICT.finditer(api_log))
    for outcome in outcomes:
        outcome.start_conflicts = conflicts[DAG_IDS[outcome.retries]]
    log(
        f"{stack.config.name}: {found} 'task state changed externally' errors, "
        f"{sum(conflicts.values())} task starts refused (409)"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stacks",
        default="sqlite,postgres",
        help=f"comma-separated, of {', '.join(CONFIGS)} (production: CeleryExecutor, two of each)",
    )
    parser.add_argument("--runs", type=int, default=100, help="DAG runs per stack and retries value")
    parser.add_argument("--batch", type=int, default=10, help="runs in flight at once")
    parser.add_argument(
        "--retries", default="0,1", help="gate retries values to run (comma-separated; 0 and/or 1)"
    )
    parser.add_argument(
        "--poll",
        choices=["list", "detail"],
        default="list",
        help="see requests through one shared list poll (default) or each run's detail endpoint",
    )
    parser.add_argument("--poll-interval", type=float, default=0.02, help="seconds between polls")
    parser.add_argument("--wait-interval", type=float, default=1.0, help="seconds between run checks")
    parser.add_argument("--visible-timeout", type=float, default=180, help="per run, seconds")
    parser.add_argument("--run-timeout", type=float, default=300, help="per run after answering, seconds")
    parser.add_argument(
        "--reask-timeout",
        type=float,
        default=30,
        help="seconds a later try may wait without its request showing before the run is given up",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=None,
        help="set [hitl] resume_settle_seconds on the stack (default: the feature's own default)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the stacks' files (logs) afterwards")
    args = parser.parse_args(argv)
    args.stacks = [s.strip() for s in args.stacks.split(",") if s.strip()]
    args.retries = [int(r) for r in args.retries.split(",") if r.strip()]
    unknown = [s for s in args.stacks if s not in CONFIGS] + [
        str(r) for r in args.retries if r not in DAG_IDS
    ]
    if unknown or args.runs < 1 or args.batch < 1:
        parser.error(f"bad --stacks/--retries/--runs/--batch ({unknown or 'must be >= 1'})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    outcomes: list[Outcome] = []
    settle: dict[str, Any] = {}
    failed = False
    for name in args.stacks:
        reason = skip_reason(stack_config(name))
        if reason:
            print(f"Skipping {name}: {reason}")
            continue
        try:
            run_config(name, args, outcomes, settle)
        except StackFailed as err:
            print(f"ERROR: {err}", file=sys.stderr)
            failed = True
    report(outcomes, settle)
    if any(r.error for o in outcomes for r in o.records):
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
