"""Helpers shared by the on-demand stress scripts and benchmarks (not a test module).

They start real stacks with :mod:`tests.system.airflow_stack`, read timestamps and the feature's
settings, and print small tables. Nothing here asserts on timing.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.system.airflow_stack import (
    CONFIGS,
    AirflowStack,
    ApiClient,
    StackConfig,
    postgres_available,
    redis_available,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence


class StackFailed(RuntimeError):
    """A stack could not be started; the scripts report it and exit 1."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def stack_config(name: str, extra_env: dict[str, str] | None = None) -> StackConfig:
    """The configuration ``name`` with more environment (StackConfig is frozen: a new one is built)."""
    base = CONFIGS[name]
    return replace(base, extra_env={**base.extra_env, **(extra_env or {})})


def settle_env(settle_seconds: float | None) -> dict[str, str]:
    """Environment that overrides ``[hitl] resume_settle_seconds`` (none: the feature's default)."""
    return {} if settle_seconds is None else {"AIRFLOW__HITL__RESUME_SETTLE_SECONDS": str(settle_seconds)}


def skip_reason(config: StackConfig) -> str | None:
    """Why a configuration cannot run on this machine, or None."""
    missing = postgres_available() if config.database == "postgres" else None
    return missing or (redis_available() if config.celery else None)


def component_log(stack: AirflowStack, kind: str) -> str:
    """The logs of all components of ``kind`` ("scheduler", "api-server", ...), one after another."""
    paths = [stack.logs / f"{name}.log" for name in stack.names(kind)]
    return "".join(path.read_text(errors="replace") for path in paths if path.exists())


@contextmanager
def running_stack(
    config: StackConfig, dag_files: Iterable[Path], keep: bool = False
) -> Iterator[AirflowStack]:
    """A started stack in a temporary directory, stopped (and removed unless ``keep``) afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix=f"hitl-{config.name}-"))
    stack = AirflowStack(config, workdir, dag_files)
    log(f"starting the {config.name} stack in {workdir}")
    started = time.monotonic()
    try:
        try:
            stack.start()
        except Exception as err:
            print(stack.dump_logs(), file=sys.stderr)
            raise StackFailed(f"the {config.name} stack did not start: {err}") from err
        log(f"{config.name} stack up in {time.monotonic() - started:.0f}s at {stack.base_url}")
        yield stack
    finally:
        stack.stop()
        if keep:
            log(f"kept the {config.name} stack's files in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def effective_settings(stack: AirflowStack) -> dict[str, Any]:
    """The feature's settings as the stack's components read them (same environment)."""
    code = (
        "import dataclasses, json\n"
        "from airflow.hitl.config import get_settings\n"
        "print(json.dumps(dataclasses.asdict(get_settings())))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=stack.env(), capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or done.returncode}
    return json.loads(done.stdout.strip().splitlines()[-1])


# The execution API's log line when a worker starts a task instance that is not queued: Airflow
# 3.0.6's LocalExecutor can start a task before the scheduler commits it as queued (the task then
# fails without running, or retries; fixed upstream in apache/airflow#56010).
START_CONFLICT = "Cannot start Task Instance in invalid state"


def start_conflicts(stack: AirflowStack) -> int:
    """How many task starts the execution API refused so far (see ``START_CONFLICT``)."""
    return component_log(stack, "api-server").count(START_CONFLICT)


def parse_ts(value: str | None) -> float | None:
    """An API timestamp as epoch seconds (the stack runs on this machine: one clock)."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def spread(values: Sequence[float | None], unit: str = "s") -> str:
    """``min / median / max`` of the values that exist, with how many there were."""
    present = [v for v in values if v is not None]
    if not present:
        return "-"
    return f"{min(present):.3f} / {statistics.median(present):.3f} / {max(present):.3f} {unit} (n={len(present)})"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    sys.stdout.flush()


class ThreadClients:
    """One :class:`ApiClient` per thread (its token is fetched once per stack and user)."""

    def __init__(self, stack: AirflowStack, user: str = "admin") -> None:
        self.stack = stack
        self.user = user
        stack.token(user)
        self._local = threading.local()

    def get(self) -> ApiClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.stack.client(self.user)
        return client
