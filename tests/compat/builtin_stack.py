"""A small Airflow 3.3.2 with its built-in human-in-the-loop feature, in a scratch virtualenv.

The comparison target of ``run_compat.py`` and the upgrade target of ``test_export_builtin.py``.
It reuses ``tests/system/airflow_stack.py`` (same processes, ports, users and REST client) and
changes only what differs: the virtualenv the components run from, no feature of ours in it
(no plugin, no external DB manager, no cluster policy), one DAG folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from tests.system.airflow_stack import AirflowStack, StackConfig

AIRFLOW_VERSION = "3.3.2"
STANDARD_PROVIDER_VERSION = "1.21.0"
PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
CONSTRAINTS_URL = (
    f"https://raw.githubusercontent.com/apache/airflow/constraints-{AIRFLOW_VERSION}/"
    f"constraints-{PYTHON_VERSION}.txt"
)
DEFAULT_VENV = Path(os.environ.get("HITL_COMPAT_VENV", f"/tmp/hitl-compat/airflow-{AIRFLOW_VERSION}"))
# Where the built-in operators live in the installed standard provider (checked by ensure_venv).
BUILTIN_OPERATORS = "airflow.providers.standard.operators.hitl"
OUR_OPERATORS = "airflow.providers.hitl.operators.hitl"

BUILTIN = StackConfig("builtin-3.3.2", "sqlite")


def ensure_venv(venv: Path = DEFAULT_VENV) -> Path:
    """
    A virtualenv with ``apache-airflow==3.3.2``, the standard provider and the PostgreSQL drivers,
    created once. Installed with Airflow's constraints file when it can be fetched, else with the
    pins only (what resolves on PyPI today); either way ``freeze.txt`` in the virtualenv records
    the set. Returns the virtualenv's ``bin``.
    """
    bin_dir = venv / "bin"
    marker = venv / "freeze.txt"
    if marker.exists():
        return bin_dir
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise RuntimeError(
            "uv is needed to create the Airflow 3.3.2 virtualenv (scripts/_env.sh installs it)"
        )
    subprocess.run([uv, "venv", "--python", PYTHON_VERSION, str(venv)], check=True)
    # psycopg2 and asyncpg: the upgrade test migrates and serves a PostgreSQL database too.
    requirements = [
        f"apache-airflow=={AIRFLOW_VERSION}",
        f"apache-airflow-providers-standard=={STANDARD_PROVIDER_VERSION}",
        "psycopg2-binary",
        "asyncpg",
    ]
    constraints: list[str] = []
    try:
        response = httpx.get(CONSTRAINTS_URL, timeout=15, follow_redirects=True)
        response.raise_for_status()
        (venv / "constraints.txt").write_text(response.text)
        constraints = ["--constraint", str(venv / "constraints.txt")]
        print(f"Installing with Airflow's constraints ({CONSTRAINTS_URL})")
    except httpx.HTTPError as err:
        print(f"Airflow's constraints file is not reachable ({err}); installing with the two pins only")
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(bin_dir / "python"), *requirements, *constraints],
        check=True,
    )
    freeze = subprocess.run(
        [uv, "pip", "freeze", "--python", str(bin_dir / "python")], check=True, capture_output=True, text=True
    ).stdout
    check = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            f"import {BUILTIN_OPERATORS} as m; print(m.ApprovalOperator, m.HITLBranchOperator, m.HITLEntryOperator)",
        ],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise RuntimeError(f"{BUILTIN_OPERATORS} does not import in {venv}:\n{check.stderr}")
    marker.write_text(freeze)
    return bin_dir


def port_dag(source: str) -> str:
    """A DAG file of ours with the one import changed to the built-in operators."""
    return source.replace(OUR_OPERATORS, BUILTIN_OPERATORS)


class BuiltinStack(AirflowStack):
    """
    Airflow 3.3.2 components from the scratch virtualenv ``venv_bin``, on a fresh SQLite database,
    or (``database_url``) on an existing one, e.g. a 3.0.6 database with our tables to upgrade.
    """

    def __init__(
        self,
        workdir: Path,
        venv_bin: Path,
        dag_sources: dict[str, str] | None = None,
        database_url: str | None = None,
        config: StackConfig = BUILTIN,
    ) -> None:
        super().__init__(config, workdir)
        self.venv_bin = venv_bin
        self.dag_sources = dag_sources or {}
        self.database_url = database_url

    @property
    def sql_alchemy_conn(self) -> str:
        return self.database_url or super().sql_alchemy_conn

    def env(self) -> dict[str, str]:
        env = super().env()
        for name in [k for k in env if k.startswith("AIRFLOW__HITL__")]:
            del env[name]
        del env["AIRFLOW__DATABASE__EXTERNAL_DB_MANAGERS"]
        bundle = {
            "name": "dags-folder",
            "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
            "kwargs": {"path": str(self.home / "dags")},
        }
        env["AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST"] = json.dumps([bundle])
        env["PATH"] = f"{self.venv_bin}{os.pathsep}{env['PATH']}"
        return env

    def prepare(self) -> BuiltinStack:
        """A fresh home with the DAG sources, and ``airflow db migrate`` (3.3.2's, nothing of ours)."""
        self._fresh_home()
        self.run_airflow("db", "migrate")
        return self

    def prepare_existing(self) -> subprocess.CompletedProcess:
        """A fresh home on the existing ``database_url``, upgraded by 3.3.2's ``airflow db migrate``;
        the command's result, unchecked (a refusal is what a caller may want to see)."""
        self._fresh_home()
        return self.run_airflow("db", "migrate", check=False)

    def _fresh_home(self) -> None:
        if self.home.exists():
            shutil.rmtree(self.home)
        (self.home / "dags").mkdir(parents=True)
        self.logs.mkdir()
        for name, source in self.dag_sources.items():
            (self.home / "dags" / name).write_text(source)

    def start_component(self, name: str) -> None:
        """Start one more component (``scheduler``, ``triggerer``, ...) of this stack."""
        self._spawn(name, name)

    def run_airflow(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.venv_bin / "airflow"), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            check=check,
            timeout=600,
        )

    def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "w") as log:
            self.processes[name] = subprocess.Popen(
                [str(self.venv_bin / "airflow"), *args],
                env=env or self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.processes[name]


def import_errors(stack: AirflowStack) -> dict[str, str]:
    """DAG file name -> the import error Airflow reports for it."""
    response = stack.client().http.get("/api/v2/importErrors")
    response.raise_for_status()
    return {Path(e["filename"]).name: e["stack_trace"] for e in response.json()["import_errors"]}
