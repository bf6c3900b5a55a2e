"""Real Airflow 3.0.6 components with the HITL feature, started once and shared.

Used by the system tests (one stack per configuration per test session), the benchmarks and the
stress scripts. A stack is: a fresh metadata database (SQLite file, or a new PostgreSQL database),
``airflow db migrate`` with the HITL DB manager, then ``airflow api-server`` (all-in-one, split
into ``--apps core`` and ``--apps execution``, or several all-in-one servers on ports of their
own), ``scheduler``, ``dag-processor`` and ``triggerer`` as separate processes (several of some in
the production layout), with the project's LocalExecutor or CeleryExecutor (Redis as broker,
``airflow celery worker`` processes), and SimpleAuthManager users of each role (or, on the
``production`` stack, the FAB auth manager with the users and roles of ``tests/system/fab_auth.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest

from tests.system.fab_auth import FAB_AUTH_MANAGER, create_fab_users

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TEST_DAGS = Path(__file__).parent / "dags"
PG_ADMIN_URL = os.environ.get("HITL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# The Celery broker of the CeleryExecutor stacks; each stack keeps its keys under a prefix of its own.
REDIS_URL = os.environ.get("HITL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

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


def redis_available() -> str | None:
    """None when Redis answers at ``REDIS_URL``, else why not."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        return None
    except Exception as err:
        return f"Redis at {REDIS_URL} is not reachable ({str(err).strip()})"


def require_redis(purpose: str) -> None:
    """Like :func:`require_postgres`, for the Celery broker."""
    missing = redis_available()
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing}; CI must run {purpose}")
    pytest.skip(f"{missing}: start Redis on 127.0.0.1:6379 to run {purpose}")


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
    api_workers: int = 1  # uvicorn worker processes per API server
    extra_env: dict[str, str] = field(default_factory=dict)
    executor: str = "LocalExecutor"  # or "CeleryExecutor" (Redis broker, PostgreSQL results)
    schedulers: int = 1
    triggerers: int = 1
    # All-in-one API servers, each a process of its own on a port of its own (not with the split).
    api_servers: int = 1
    celery_workers: int = 0
    # Runs only the tests marked ``on_stack(name=...)`` for it, never the rest of the suite: a
    # layout whose start and size are paid for by the tests that need it.
    marked_tests_only: bool = False
    # The test modules (file names without ``.py``) whose unmarked tests run on it; empty: all.
    # For a layout that matters to some behaviour only, beside stacks with the same database.
    suite_modules: tuple[str, ...] = ()
    # "simple" (Airflow's SimpleAuthManager, the users of USERS) or "fab" (the FAB provider's auth
    # manager, the users and roles of tests/system/fab_auth.py).
    auth_manager: str = "simple"
    # The test DAG files (names in tests/system/dags) it parses; empty: all of them.
    dag_files: tuple[str, ...] = ()

    @property
    def celery(self) -> bool:
        return self.executor == "CeleryExecutor"

    def __post_init__(self) -> None:
        if self.celery and (self.database != "postgres" or self.celery_workers < 1):
            raise ValueError(f"{self.name}: the CeleryExecutor needs PostgreSQL and at least one worker")
        if self.split_api_server and self.api_servers != 1:
            raise ValueError(f"{self.name}: a split API server is one core and one execution process")


# The project's LocalExecutor, as the run command uses it: Airflow 3.0.6's own can start a task
# before the scheduler has committed it as queued, and the task then fails without running
# (apache/airflow#56010); this one hands work to its workers only after that commit.
EXECUTOR = "airflow.hitl.executors.local_executor.LocalExecutor"

# Processes of the same kind on one machine tell Airflow apart by hostname (``job.hostname``), as
# pods of a deployment do: a component started with HITL_STACK_HOSTNAME reports that name.
HOSTNAME_MODULE = """
import os

from airflow.utils.net import getfqdn


def hostname() -> str:
    return os.environ.get("HITL_STACK_HOSTNAME") or getfqdn()
"""

SQLITE = StackConfig("sqlite", "sqlite")
# Two API server worker processes, so concurrent answers are served by different processes.
POSTGRES = StackConfig("postgres", "postgres", api_workers=2)
# The split matters where answers resume tasks and the request lifecycle runs (which process holds
# its lease, the execution API apart); who may answer and the races on one row are the postgres
# stack's, with the same database.
POSTGRES_SPLIT = StackConfig(
    "postgres-split",
    "postgres",
    split_api_server=True,
    suite_modules=("test_approval_flow", "test_lifecycle"),
)
# What a platform team runs: several of every component, CeleryExecutor with Redis, the FAB auth
# manager (real users with several roles, DAG-level permissions: tests/system/test_fab_auth.py),
# and room for many tasks at once (a run of 100 mapped approvals). Failing over is made quicker than Airflow's
# defaults so the fault tests wait seconds, not minutes: a dead triggerer's triggers move after
# 15 s (default 30), a dead scheduler's queued tasks are adopted within 10 s (default 300).
PRODUCTION = StackConfig(
    "production",
    "postgres",
    executor="CeleryExecutor",
    schedulers=2,
    triggerers=2,
    api_servers=2,
    celery_workers=2,
    marked_tests_only=True,
    auth_manager="fab",
    dag_files=("hitl_fault_dags.py", "hitl_lifecycle_dags.py", "hitl_fab_dags.py"),
    extra_env={
        "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "15",
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_THRESHOLD": "15",
        "AIRFLOW__SCHEDULER__ORPHANED_TASKS_CHECK_INTERVAL": "10",
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "8",
        # A scheduler sends its first task within [celery] operation_timeout (default 1 s), and
        # that send imports the Redis transport: on a busy machine the import took longer, was cut
        # off half-done, and every later send failed ("module 'redis' has no attribute 'client'").
        "AIRFLOW__CELERY__OPERATION_TIMEOUT": "10",
        "AIRFLOW__CORE__PARALLELISM": "64",
        "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "128",
    },
)
CONFIGS = {config.name: config for config in (SQLITE, POSTGRES, POSTGRES_SPLIT, PRODUCTION)}


def selected_stacks() -> list[str]:
    """The stack configurations to test: all, or those named in ``HITL_STACKS`` (comma-separated)."""
    wanted = os.environ.get("HITL_STACKS")
    names = [name.strip() for name in wanted.split(",") if name.strip()] if wanted else list(CONFIGS)
    unknown = [name for name in names if name not in CONFIGS]
    if unknown:
        raise pytest.UsageError(f"HITL_STACKS names unknown stacks {unknown}; known: {sorted(CONFIGS)}")
    return names


def general_stacks() -> list[str]:
    """The selected stacks that run the whole suite (not only the tests marked for them)."""
    return [name for name in selected_stacks() if not CONFIGS[name].marked_tests_only]


def one_stack_name() -> str | None:
    """The stack that layout-independent tests run on: postgres when selected, else the first
    general one (None when only stacks for marked tests are selected)."""
    general = general_stacks()
    return "postgres" if "postgres" in general else next(iter(general), None)


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


@dataclass(frozen=True)
class Component:
    """One process of a stack: its ``airflow`` arguments and the environment it differs in."""

    kind: str  # "api-server", "scheduler", "dag-processor", "triggerer" or "celery-worker"
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)


def _names(kind: str, count: int) -> list[str]:
    """``kind`` alone for one process, ``kind-1`` ... ``kind-N`` for several."""
    return [kind] if count == 1 else [f"{kind}-{index}" for index in range(1, count + 1)]


class AirflowStack:
    """Starts, talks to and stops one set of real Airflow components."""

    def __init__(self, config: StackConfig, workdir: Path, dag_files: Iterable[Path] = ()) -> None:
        self.config = config
        self.home = workdir / f"airflow-{config.name}"
        self.logs = self.home / "component-logs"
        # Every API server's port by component name; the first one is the stack's base URL.
        self.api_ports = {name: free_port() for name in self._api_server_names()}
        self.port = next(iter(self.api_ports.values()))
        # The workers' execution API: the split's execution part, else the last API server (with
        # several, not the first, which starts alone and takes the request lifecycle's lease).
        self.execution_api_server = list(self.api_ports)[-1]
        self.execution_port = self.api_ports[self.execution_api_server]
        # Log servers get ports of their own, so stacks (and workers, triggerers) run side by side.
        self.worker_log_port = free_port()
        self.trigger_log_port = free_port()
        self.components = self._plan_components()
        # The stack's Celery queue, and the prefix of all its keys in Redis: stacks of parallel test
        # sessions share the Redis server but never see each other's tasks.
        self.celery_queue = f"hitl-{config.name}-{uuid.uuid4().hex[:8]}"
        self.dag_files = (
            list(dag_files)
            or [TEST_DAGS / name for name in config.dag_files]
            or sorted(TEST_DAGS.glob("*.py"))
        )
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopped: set[str] = set()  # components a test stopped on purpose
        self.pg_database: str | None = None
        self.passwords: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        # Tests answer from many threads; each user logs in once (a FAB login hashes a password,
        # and 50 at once on one API server timed out).
        self._token_lock = threading.Lock()

    def _api_server_names(self) -> list[str]:
        if self.config.split_api_server:
            return ["api-server-core", "api-server-execution"]
        return _names("api-server", self.config.api_servers)

    def _plan_components(self) -> dict[str, Component]:
        """Every process of the stack by name, in start order (API servers first)."""
        components = {}
        for name, port in self.api_ports.items():
            apps = {"api-server-core": ("--apps", "core"), "api-server-execution": ("--apps", "execution")}
            components[name] = Component(
                "api-server", ("api-server", *apps.get(name, ()), "--port", str(port))
            )
        for name in _names("scheduler", self.config.schedulers):
            components[name] = Component("scheduler", ("scheduler",))
        components["dag-processor"] = Component("dag-processor", ("dag-processor",))
        triggerers = _names("triggerer", self.config.triggerers)
        for index, name in enumerate(triggerers):
            port = self.trigger_log_port if index == 0 else free_port()
            env = {"AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(port)}
            if len(triggerers) > 1:  # which one runs a trigger: its job's hostname says
                env |= {"AIRFLOW__CORE__HOSTNAME_CALLABLE": "hitl_stack_hostname.hostname"}
                env |= {"HITL_STACK_HOSTNAME": name}
            components[name] = Component("triggerer", ("triggerer",), env)
        for name in _names("celery-worker", self.config.celery_workers):
            args = ("celery", "worker", "--celery-hostname", f"{name}@{self.config.name}")
            args += ("--pid", str(self.home / f"{name}.pid"))
            env = {"AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())}
            components[name] = Component("celery-worker", args, env)
        return components

    def names(self, kind: str) -> list[str]:
        """The components of one kind ("api-server", "scheduler", ...), in start order."""
        return [name for name, component in self.components.items() if component.kind == kind]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api_url(self, name: str) -> str:
        """The URL of the API server ``name`` (one of ``self.names("api-server")``)."""
        return f"http://127.0.0.1:{self.api_ports[name]}"

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
                "AIRFLOW__CORE__EXECUTOR": EXECUTOR,
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
        if self.config.celery:
            env.update(
                {
                    "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                    "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
                    "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": f"{self.celery_queue}:",
                    "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://postgres@127.0.0.1:5432/{self.pg_database}",
                    "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.celery_queue,
                }
            )
        if self.config.auth_manager == "fab":
            env.update(
                {
                    "AIRFLOW__CORE__AUTH_MANAGER": FAB_AUTH_MANAGER,
                    # Signs FAB's login session: every API server process must use the same key.
                    "AIRFLOW__API__SECRET_KEY": "hitl-system-tests-fab-secret",
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
        (self.home / "config" / "hitl_stack_hostname.py").write_text(HOSTNAME_MODULE)
        if self.config.database == "postgres":
            self.pg_database = f"hitl_{self.config.name.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
            _pg_admin(f'CREATE DATABASE "{self.pg_database}"')
        self.run_airflow("db", "migrate")
        if self.config.auth_manager == "fab":
            self.passwords = create_fab_users(self)
        return self

    def start(
        self,
        timeout: float = 180,
        components: Iterable[str] = ("scheduler", "dag-processor", "triggerer", "celery-worker"),
        fresh: bool = True,
    ) -> AirflowStack:
        """Starts the API server(s) and the components of the kinds ``components``; ``fresh=False``
        keeps a prepared database."""
        if fresh:
            self.prepare()
        first, *others = self.names("api-server")
        # The first API server alone: uvicorn kills a worker process that cannot answer its
        # 5-second health ping while it is still importing Airflow, which happens when all
        # components import Airflow at once on a busy 2-core machine.
        self._start_component(first)
        if self.config.split_api_server:
            self._start_component(others.pop())
        wait_for(self._healthy, timeout, "the API server to answer")
        for name in others:
            self._start_component(name)
        for name, component in self.components.items():
            if component.kind in components and component.kind != "api-server":
                self._start_component(name)
        for name in others:
            wait_for(lambda name=name: self._healthy(self.api_url(name)), timeout, f"{name} to answer")
        if self.config.auth_manager == "simple":
            self.passwords = wait_for(self._read_passwords, 30, "SimpleAuthManager passwords")
        return self

    def _start_component(self, name: str) -> subprocess.Popen:
        component = self.components[name]
        env = {**self.env(), **component.env}
        if self.pg_database:  # its connections show in pg_stat_activity under its name
            conn = env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = (
                f"{conn}{'&' if '?' in conn else '?'}application_name={name}"
            )
        return self._spawn(name, *component.args, env=env)

    def run_airflow(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(VENV_BIN / "airflow"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )

    def run_python(self, code: str, *args: str) -> str:
        """Run ``code`` (with ``args`` as ``sys.argv[1:]``) in a Python process with this stack's
        Airflow environment; its stdout."""
        result = subprocess.run(
            [sys.executable, "-c", code, *args], env=self.env(), capture_output=True, text=True, timeout=300
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

    def request_rows(self, dag_id: str, run_id: str, columns: Iterable[str]) -> list[dict[str, Any]]:
        """The ``hitl_request`` rows of a run (``columns`` of each), by map index and try, read from
        the database directly."""
        names = list(columns)
        rows = self.sql(
            f"SELECT {', '.join(names)} FROM hitl_request WHERE dag_id = :dag_id AND run_id = :run_id "
            "ORDER BY map_index, try_number",
            dag_id=dag_id,
            run_id=run_id,
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    def respawn(self, name: str) -> None:
        """Start the component ``name`` again (after a test killed it) and wait until it serves."""
        old = self.processes.pop(name)
        self.stopped.discard(name)
        if old.poll() is None:
            os.killpg(old.pid, signal.SIGKILL)
            old.wait(timeout=30)
        self._start_component(name)
        if name in self.api_ports:
            wait_for(lambda: self._healthy(self.api_url(name)), 180, f"{name} to answer again")

    def terminate(self, name: str, timeout: float = 60) -> None:
        """Stop the component ``name`` as a deployment does: SIGTERM, SIGKILL after ``timeout``."""
        process = self.processes[name]
        self.stopped.add(name)
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def restart(self, name: str) -> None:
        """Stop the component ``name`` gracefully and start it again."""
        self.terminate(name)
        self.respawn(name)

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
        # Appended to: a component started again keeps the log of its previous run.
        with open(self.logs / f"{name}.log", "a") as log:  # the child keeps its own descriptor
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

    def _healthy(self, base_url: str | None = None) -> bool:
        for name, proc in self.processes.items():
            if proc.poll() is not None and name not in self.stopped:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")
        response = httpx.get(f"{base_url or self.base_url}/api/v2/monitor/health", timeout=5)
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
        if self.config.celery:
            self.drop_celery_keys()

    def drop_celery_keys(self) -> None:
        """Remove the stack's keys (its queue, Celery's bindings) from the shared Redis."""
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{self.celery_queue}:*"))
        if keys:
            client.delete(*keys)

    def drop_database(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.pg_database:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_database}" WITH (FORCE)')
            self.pg_database = None

    def token(self, user: str) -> str:
        with self._token_lock:
            if user not in self._tokens:
                response = httpx.post(
                    f"{self.base_url}/auth/token",
                    json={"username": user, "password": self.passwords[user]},
                    timeout=30,
                )
                response.raise_for_status()
                self._tokens[user] = response.json()["access_token"]
            return self._tokens[user]

    def client(self, user: str = "admin", server: str | None = None) -> ApiClient:
        """A REST client of ``user``, talking to the API server ``server`` (default: the first)."""
        return ApiClient(self, user, self.api_url(server) if server else self.base_url)


class ApiClient:
    """A thin REST client for one user of a stack."""

    def __init__(self, stack: AirflowStack, user: str, base_url: str | None = None) -> None:
        self.stack = stack
        self.user = user
        self.http = httpx.Client(
            base_url=base_url or stack.base_url,
            headers={"Authorization": f"Bearer {stack.token(user)}"},
            timeout=30,
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
