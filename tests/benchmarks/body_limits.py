"""Benchmark: an API server's peak memory and time for a huge answer body, with and without the limits.

Starts a stack's API server alone (no scheduler: the body never gets as far as a request) for its
database, users and tokens, then two uvicorn processes on the same configuration, each serving
the HITL API app alone, identical but for the body limits middleware
(:class:`airflow.hitl.api.body_limits.BodyLimitsMiddleware`):

* ``with limits``: the app as the API server builds it (``create_api_app``);
* ``without``: the same app with the middleware taken out, i.e. how the API read bodies before
  it existed (FastAPI reads and parses the whole body first, then authenticates).

Each sends ``--mb`` MB (default 200) of an answer body (one long string in ``params_input``),
declaring its length, once without a token and once with an admin token, and one chunked body
without a length with the token. Before each, the server's peak resident memory is reset (writing
``5`` to ``/proc/<pid>/clear_refs``); after it, the peak (``VmHWM`` of ``/proc/<pid>/status``)
and the answer's status and time are printed.

Run from the repository root::

    .venv/bin/python -m tests.benchmarks.body_limits
    .venv/bin/python -m tests.benchmarks.body_limits --mb 50

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from tests.system.airflow_stack import CONFIGS, REPO_ROOT, VENV_BIN, AirflowStack, free_port, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi import FastAPI

PATH = "/api/v2/dags/bench/dagRuns/bench/taskInstances/bench/-1/hitlDetails"
OPENING = b'{"chosen_options": ["Approve"], "params_input": {"notes": "'
CLOSING = b'"}}'


def limited_app() -> FastAPI:
    """The HITL API app as the API server builds it."""
    from airflow.hitl.api.app import create_api_app

    return create_api_app()


def unlimited_app() -> FastAPI:
    """The same app without the body limits middleware."""
    from airflow.hitl.api.app import create_api_app
    from airflow.hitl.api.body_limits import BodyLimitsMiddleware

    app = create_api_app()
    app.user_middleware = [m for m in app.user_middleware if m.cls is not BodyLimitsMiddleware]
    return app


def body(size: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    """An answer body of exactly ``size`` bytes, made as it is sent."""
    yield OPENING
    left = size - len(OPENING) - len(CLOSING)
    while left > 0:
        piece = min(chunk, left)
        left -= piece
        yield b"x" * piece
    yield CLOSING


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def serve(stack: AirflowStack, factory: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(stack.logs / f"uvicorn-{factory}.log", "w")  # noqa: SIM115 - the child keeps it
    process = subprocess.Popen(
        [
            str(VENV_BIN / "python"),
            *("-m", "uvicorn", "--factory", f"tests.benchmarks.body_limits:{factory}"),
            *("--port", str(port), "--log-level", "warning"),
        ],
        cwd=REPO_ROOT,
        env=stack.env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn {factory} exited:\n{stack.tail(f'uvicorn-{factory}')}")
        try:
            return httpx.get(f"{url}/api/v2/hitl/openapi.json", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(answering, 180, f"uvicorn serving {factory}")
    return process, url


def measure(pid: int, url: str, size: int, token: str | None, chunked: bool) -> tuple[int, float, int, int]:
    """(status, seconds, peak RSS in MB, RSS before in MB) of one request of ``size`` bytes."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak starts again from the current RSS
    before = memory_kb(pid, "VmRSS")
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if not chunked:
        headers["Content-Length"] = str(size)
    started = time.perf_counter()
    try:
        status = httpx.patch(f"{url}{PATH}", content=body(size), headers=headers, timeout=600).status_code
    except httpx.TransportError as err:
        status = 0
        print(f"  (the connection failed: {err!r})")
    seconds = time.perf_counter() - started
    return status, seconds, memory_kb(pid, "VmHWM") // 1024, before // 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=200, help="body size in MB (default 200)")
    args = parser.parse_args()
    size = args.mb * 1024 * 1024

    stack = AirflowStack(CONFIGS["sqlite"], Path(tempfile.mkdtemp(prefix="hitl-body-limits-")))
    servers: list[subprocess.Popen] = []
    try:
        stack.start(components=())
        token = stack.token("admin")
        limit = stack.run_python(
            "from airflow.hitl.config import get_settings; print(get_settings().max_answer_bytes)"
        ).strip()
        print(f"\nBody of {args.mb} MB to PATCH {PATH}; [hitl] max_answer_bytes = {limit}")
        print(
            f"{'server':14} {'request':28} {'status':>6} {'seconds':>8} {'peak RSS MB':>12} {'RSS before MB':>14}"
        )
        for factory, label in (("unlimited_app", "without"), ("limited_app", "with limits")):
            process, url = serve(stack, factory)
            servers.append(process)
            for request, used_token, chunked in (
                ("no token, Content-Length", None, False),
                ("token, Content-Length", token, False),
                ("token, chunked", token, True),
            ):
                status, seconds, peak, before = measure(process.pid, url, size, used_token, chunked)
                print(f"{label:14} {request:28} {status:>6} {seconds:>8.2f} {peak:>12} {before:>14}")
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)
        stack.stop()


if __name__ == "__main__":
    main()
