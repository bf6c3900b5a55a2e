"""Real Airflow 3.0.6 components with the HITL feature, started once and shared.

Used by the system tests (one stack per configuration per test session), the benchmarks and the
stress scripts. A stack is: a fresh metadata database (SQLite file, or a new PostgreSQL database),
``airflow db migrate`` with the HITL DB manager, then ``airflow api-server`` (all-in-one, or split
into ``--apps core`` and ``--apps execution``), ``scheduler``, ``dag-processor`` and ``triggerer``
as separate processes with LocalExecutor, and SimpleAuthManager users of each role.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TEST_DAGS = Path(__file__).parent / "dags"
PG_ADMIN_URL = os.environ.get("HITL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

# SimpleAuthManager users (name -> role) every stack has.
USERS = {"admin": "admin", "viewer": "viewer", "user": "user", "op": "op", "alice": "viewer", "bob": "viewer"}
# Assigned only the quick-action drawer test's request: the drawer shows the first 10 pending for
# a user, and users with edit access have every unassigned request of the session pending.
USERS["dora"] = "viewer"
# Users with edit access who race to answer the same request (first responder wins).
RACERS = [f"racer{i:02d}" for i in range(1, 51)]
USERS.update(dict.fromkeys(RACERS, "user"))

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2) -> T:
    """Call ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, OSError) as err:
            last_error = err
        time.sleep(interval)
    raise TimeoutError(
        f"Timed out after {timeout:.0f}s waiting for {what}" + (f" ({last_error})" if last_error else "")
    )


# Where the stacks send notification mail; chosen once, so stacks started before the SMTP test
# server (tests/system/test_prepared_links.py) already point at it.
SMTP_PORT = free_port()


def postgres_available() -> str | None:
    """None when PostgreSQL answers at 127.0.0.1:5432, else why not."""
    try:
        import psycopg2

        psycopg2.connect(PG_ADMIN_URL, connect_timeout=3).close()
        return None
    except Exception as err:
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({str(err).strip()})"


def require_postgres(purpose: str) -> None:
    """Skips the calling test or fixture when PostgreSQL is absent (fails it under ``CI=true``)."""
    missing = postgres_available()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing}; CI must run {purpose}")
    pytest.skip(f"{missing}: start PostgreSQL on 127.0.0.1:5432 (trust auth) to run {purpose}")


def _pg_admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_URL)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


@dataclass(frozen=True)
class StackConfig:
    """One deployment layout under test."""

    name: str
    database: str  # "sqlite" or "postgres"
    split_api_server: bool = False
    api_workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)


# Airflow 3.0.6's LocalExecutor can fail a task before it starts ("TI was not in a state where it
# could be marked as running", previous state "scheduled"; apache/airflow#56010), a few times in a
# hundred on SQLite. A cluster policy gives the test DAGs' plain tasks one quick retry so that bug
# does not fail these tests; HITL tasks keep their own retries, whose behaviour is under test.
LOCAL_SETTINGS = """
from datetime import timedelta


def task_policy(task):
    from airflow.providers.hitl.operators.hitl import HITLOperator

    if task.retries == 0 and not isinstance(task, HITLOperator):
        task.retries = 1
        task.retry_delay = timedelta(seconds=1)
"""

SQLITE = StackConfig("sqlite", "sqlite")
# Two API server worker processes, so concurrent answers are served by different processes.
POSTGRES = StackConfig("postgres", "postgres", api_workers=2)
POSTGRES_SPLIT = StackConfig("postgres-split", "postgres", split_api_server=True)
CONFIGS = {config.name: config for config in (SQLITE, POSTGRES, POSTGRES_SPLIT)}


def selected_stacks() -> list[str]:
    """The stack configurations to test: all, or those named in ``HITL_STACKS`` (comma-separated)."""
    wanted = os.environ.get("HITL_STACKS")
    return [name.strip() for name in wanted.split(",")] if wanted else list(CONFIGS)


def one_stack_name() -> str:
    """The stack that layout-independent tests run on: postgres when selected, else the first."""
    selected = selected_stacks()
    return "postgres" if "postgres" in selected else selected[0]


def on_one_stack() -> pytest.MarkDecorator:
    """Runs a test on one stack only (:func:`one_stack_name`), for behaviour that does not depend
    on the deployment layout (UI, CLI, links): keeps the suite's run time in bounds. The other
    stacks' items are deselected in ``conftest.py`` (rather than parametrizing the test anew), so
    pytest still runs all tests of a stack together and starts each stack once."""
    return pytest.mark.one_stack


def on_stack(name: str, why: str) -> pytest.MarkDecorator:
    """Runs a test on the stack ``name`` only, because its behaviour needs that layout (``why``).
    Where that stack is not selected, the test is skipped saying so."""
    return pytest.mark.on_stack(name=name, why=why)


class AirflowStack:
    """Starts, talks to and stops one set of real Airflow components."""

    def __init__(self, config: StackConfig, workdir: Path, dag_files: Iterable[Path] = ()) -> None:
        self.config = config
        self.home = workdir / f"airflow-{config.name}"
        self.logs = self.home / "component-logs"
        self.port = free_port()
        self.execution_port = free_port() if config.split_api_server else self.port
        # Log servers get ports of their own, so stacks can run side by side.
        self.worker_log_port = free_port()
        self.trigger_log_port = free_port()
        self.dag_files = list(dag_files) or sorted(TEST_DAGS.glob("*.py"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopped: set[str] = set()  # components a test stopped on purpose
        self.pg_database: str | None = None
        self.passwords: dict[str, str] = {}
        self._tokens: dict[str, str] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sql_alchemy_conn(self) -> str:
        if self.pg_database:
            return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.pg_database}"
        return f"sqlite:///{self.home}/airflow.db"

    def env(self) -> dict[str, str]:
        examples = REPO_ROOT / "providers/hitl/src/airflow/providers/hitl/example_dags"
        bundles = [
            {
                "name": "dags-folder",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(self.home / "dags")},
            },
            {
                "name": "hitl-examples",
                "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
                "kwargs": {"path": str(examples)},
            },
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            {
                "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.sql_alchemy_conn,
                "AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS": "airflow.hitl.db_manager.HITLDBManager",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__FERNET_KEY": "Vj1S2mIGiTYaeb1sO2JX1gJ1JYdrTWBVSVUMTVQ5qK4=",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{self.execution_port}/execution/",
                "AIRFLOW__API__BASE_URL": self.base_url,
                "AIRFLOW__API__WORKERS": str(self.config.api_workers),
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.worker_log_port),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.trigger_log_port),
                "AIRFLOW__API_AUTH__JWT_SECRET": "hitl-system-tests-jwt-secret",
                "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps(bundles),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "600",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
                "PYTHONUNBUFFERED": "1",
                # Prepared links on, and notification mail to the test's SMTP server
                # (tests/system/test_prepared_links.py; turned-off links are tested in the unit tests).
                "AIRFLOW__HITL__PREPARED_LINKS_ENABLED": "True",
                # Requests of deleted runs go within a second, not a minute (test_approval_flow.py).
                "AIRFLOW__HITL__DELETED_RUNS_CHECK_INTERVAL": "1",
                "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps(
                    {
                        "conn_type": "smtp",
                        "host": "127.0.0.1",
                        "port": SMTP_PORT,
                        "extra": {"disable_ssl": True, "disable_tls": True, "retry_limit": 1, "timeout": 10},
                    }
                ),
            }
        )
        env.update(self.config.extra_env)
        return env

    def prepare(self) -> AirflowStack:
        """A fresh home and database, migrated with the HITL DB manager; no process started."""
        if self.home.exists():
            shutil.rmtree(self.home)
        (self.home / "dags").mkdir(parents=True)
        self.logs.mkdir()
        for dag_file in self.dag_files:
            shutil.copy(dag_file, self.home / "dags" / dag_file.name)
        (self.home / "config").mkdir()
        (self.home / "config" / "airflow_local_settings.py").write_text(LOCAL_SETTINGS)
        if self.config.database == "postgres":
            self.pg_database = f"hitl_{self.config.name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
            _pg_admin(f'CREATE DATABASE "{self.pg_database}"')
        self.run_airflow("db", "migrate")
        return self

    def start(
        self,
        timeout: float = 180,
        components: Iterable[str] = ("scheduler", "dag-processor", "triggerer"),
        fresh: bool = True,
    ) -> AirflowStack:
        """Starts the API server(s) and ``components``; ``fresh=False`` keeps a prepared database."""
        if fresh:
            self.prepare()
        if self.config.split_api_server:
            self._spawn("api-server-core", "api-server", "--apps", "core", "--port", str(self.port))
            self._spawn(
                "api-server-execution",
                "api-server",
                "--apps",
                "execution",
                "--port",
                str(self.execution_port),
            )
        else:
            self._spawn("api-server", "api-server", "--port", str(self.port))
        # The API server first: uvicorn kills a worker process that cannot answer its 5-second
        # health ping while it is still importing Airflow, which happens when all components
        # import Airflow at once on a busy 2-core machine.
        wait_for(self._healthy, timeout, "the API server to answer")
        for component in components:
            self._spawn(component, component)
        self.passwords = wait_for(self._read_passwords, 30, "SimpleAuthManager passwords")
        return self

    def run_airflow(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(VENV_BIN / "airflow"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def run_python(self, code: str) -> str:
        """Run ``code`` in a Python process with this stack's Airflow environment; its stdout."""
        result = subprocess.run(
            [sys.executable, "-c", code], env=self.env(), capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(f"Python snippet failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def sql(self, statement: str, **params: Any) -> list[tuple]:
        """Rows of one SQL statement on the stack's database, read directly (no API, no Airflow):
        for tests that must not read through the API server."""
        from sqlalchemy import create_engine, text

        engine = self._engine
        if engine is None:
            engine = self._engine = create_engine(self.sql_alchemy_conn)
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    _engine: Any = None

    def respawn(self, name: str) -> None:
        """Start the component ``name`` again (after a test killed it) and wait until it serves."""
        args = {
            "api-server": ("api-server", "--port", str(self.port)),
            "api-server-core": ("api-server", "--apps", "core", "--port", str(self.port)),
        }.get(name, (name,))
        old = self.processes.pop(name)
        self.stopped.discard(name)
        if old.poll() is None:
            os.killpg(old.pid, signal.SIGKILL)
            old.wait(timeout=30)
        self._spawn(name, *args)
        if name.startswith("api-server"):
            wait_for(self._healthy, 180, f"{name} to answer again")

    def kill(self, name: str) -> None:
        """SIGKILL the component ``name`` and all its processes (no clean shutdown)."""
        process = self.processes[name]
        self.stopped.add(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def component_of(self, pid: int) -> str | None:
        """The component (``self.processes`` name) that process ``pid`` belongs to."""
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            return None
        return next((name for name, proc in self.processes.items() if proc.pid == group), None)

    def lifecycle_holder(self) -> str | None:
        """The component whose API server process took the request lifecycle's lease last (None: no
        lease yet, or its holder has gone)."""
        rows = self.sql("SELECT holder FROM hitl_lease WHERE name = 'lifecycle'")
        if not rows or not rows[0][0]:
            return None
        return self.component_of(int(rows[0][0].split(":")[1]))

    def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "w") as log:  # the child keeps its own descriptor
            self.processes[name] = subprocess.Popen(
                [str(VENV_BIN / "airflow"), *args],
                env=env or self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.processes[name]

    @contextmanager
    def extra_api_server(self, **config: str) -> Iterator[str]:
        """Another API server on this stack's database, with ``config`` (environment variables)
        changed; yields its URL and stops it afterwards."""
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {**self.env(), "AIRFLOW__API__BASE_URL": base_url, "AIRFLOW__API__WORKERS": "1", **config}
        name = f"api-server-{port}"
        process = self._spawn(name, "api-server", "--port", str(port), env=env)

        def healthy() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.tail(name)}")
            return httpx.get(f"{base_url}/api/v2/monitor/health", timeout=5).status_code == 200

        try:
            wait_for(healthy, 180, f"the extra API server at {base_url}")
            yield base_url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
            self.processes.pop(name, None)

    def _healthy(self) -> bool:
        for name, proc in self.processes.items():
            if proc.poll() is not None and name not in self.stopped:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")
        response = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5)
        return response.status_code == 200

    def _read_passwords(self) -> dict[str, str] | None:
        path = self.home / "passwords.json"
        if not path.exists():
            return None
        passwords = json.loads(path.read_text())
        return passwords if set(USERS) <= set(passwords) else None

    def tail(self, name: str, lines: int = 60) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def dump_logs(self, lines: int = 80) -> str:
        return "\n".join(f"----- {name} -----\n{self.tail(name, lines)}" for name in self.processes)

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.processes.clear()
        self.drop_database()

    def drop_database(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.pg_database:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
            self.pg_database = None

    def token(self, user: str) -> str:
        if user not in self._tokens:
            response = httpx.post(
                f"{self.base_url}/auth/token",
                json={"username": user, "password": self.passwords[user]},
                timeout=10,
            )
            response.raise_for_status()
            self._tokens[user] = response.json()["access_token"]
        return self._tokens[user]

    def client(self, user: str = "admin") -> ApiClient:
        return ApiClient(self, user)


class ApiClient:
    """A thin REST client for one user of a stack."""

    def __init__(self, stack: AirflowStack, user: str) -> None:
        self.stack = stack
        self.user = user
        self.http = httpx.Client(
            base_url=stack.base_url, headers={"Authorization": f"Bearer {stack.token(user)}"}, timeout=30
        )

    def wait_for_dag(self, dag_id: str, timeout: float = 120) -> None:
        wait_for(
            lambda: self.http.get(f"/api/v2/dags/{dag_id}").status_code == 200,
            timeout,
            f"DAG {dag_id} to be parsed",
        )

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        self.wait_for_dag(dag_id)
        run_id = f"{dag_id}__{uuid.uuid4().hex[:10]}"
        response = self.http.post(
            f"/api/v2/dags/{dag_id}/dagRuns",
            json={"dag_run_id": run_id, "logical_date": None, "conf": conf or {}},
        )
        response.raise_for_status()
        return run_id

    def task_path(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
        return f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails"

    def get_request(self, dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> httpx.Response:
        return self.http.get(self.task_path(dag_id, run_id, task_id, map_index))

    def wait_for_request(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int = -1,
        timeout: float = 90,
        interval: float = 0.2,
    ) -> dict[str, Any]:
        def visible() -> dict[str, Any] | None:
            response = self.get_request(dag_id, run_id, task_id, map_index)
            return response.json() if response.status_code == 200 else None

        return wait_for(visible, timeout, f"the HITL request of {dag_id}.{task_id}", interval)

    def respond(
        self,
        dag_id: str,
        run_id: str,
        task_id: str,
        chosen_options: list[str],
        params_input: dict[str, Any] | None = None,
        map_index: int = -1,
        comment: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"chosen_options": chosen_options}
        if params_input is not None:
            body["params_input"] = params_input
        if comment is not None:
            body["comment"] = comment
        return self.http.patch(self.task_path(dag_id, run_id, task_id, map_index), json=body)

    def list_requests(self, dag_id: str = "~", run_id: str = "~", **params: Any) -> dict[str, Any]:
        response = self.http.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/hitlDetails", params=params)
        response.raise_for_status()
        return response.json()

    def task_instance(self, dag_id: str, run_id: str, task_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
        response.raise_for_status()
        return response.json()

    def tries(self, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
        response = self.http.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries")
        response.raise_for_status()
        return response.json()["task_instances"]

    def wait_for_state(
        self, dag_id: str, run_id: str, task_id: str, states: set[str], timeout: float = 120
    ) -> dict:
        def reached() -> dict | None:
            ti = self.task_instance(dag_id, run_id, task_id)
            return ti if ti["state"] in states else None

        return wait_for(reached, timeout, f"{dag_id}.{task_id} to reach {sorted(states)}", interval=0.5)

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 120) -> str:
        def finished() -> str | None:
            state = self.http.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}").json()["state"]
            return state if state in {"success", "failed"} else None

        return wait_for(finished, timeout, f"run {run_id} to finish", interval=0.5)

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        response = self.http.get(
            f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}"
        )
        response.raise_for_status()
        return response.json()["value"]
