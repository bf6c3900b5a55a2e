"""Do our example DAGs behave the same on Airflow 3.3.2's built-in human-in-the-loop feature?

On demand (minutes, two Airflow stacks one after the other)::

    .venv/bin/python -m tests.compat.run_compat [--json tests/_output/compat.json]

Starts our 3.0.6 stack (the system tests' ``AirflowStack``, this project's virtualenv, SQLite)
with the example DAGs as they are, then an Airflow 3.3.2 stack (scratch virtualenv, see
``builtin_stack.py``) with the same DAG files and the one import changed, drives each DAG through
the same REST calls on both, and prints one row per DAG and operation: ours, built-in, match or
difference. See ``tests/compat/README.md``.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from tests.compat.builtin_stack import (
    AIRFLOW_VERSION,
    BuiltinStack,
    ensure_venv,
    import_errors,
    port_dag,
)
from tests.system.airflow_stack import REPO_ROOT, SQLITE, AirflowStack, ApiClient, wait_for

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

EXAMPLES = REPO_ROOT / "providers/hitl/src/airflow/providers/hitl/example_dags"
COMPAT_DAGS = Path(__file__).parent / "dags"
# Answers wait this long after the request appears: an answer within a few seconds of the deferral
# fails the task on Airflow 3.3.2 (the resume race, see contributing-docs/architecture.md); ours
# would hold it back itself. Waiting keeps the comparison about behaviour, not that race.
ANSWER_AFTER = 12.0
# Where ours may carry more than the built-in feature (extensions), and that is still a match.
EXTENSIBLE = {"detail keys", "XCom return_value"}
# What differs by nature between two runs and is not compared.
VOLATILE = {"responded_at", "created_at", "ti_id", "task_instance", "run_id", "dag_run_id"}


@dataclass(frozen=True)
class Scenario:
    """One example DAG and how it is answered."""

    dag_id: str
    task_id: str
    answer: dict[str, Any]
    invalid: dict[str, Any]
    downstream: list[str] = field(default_factory=list)


SCENARIOS = [
    Scenario(
        "example_hitl_approval",
        "approve_publication",
        {"chosen_options": ["Approve"]},
        {"chosen_options": ["Aprove"]},
        ["publish"],
    ),
    Scenario(
        "example_hitl_content_moderation",
        "moderate",
        {"chosen_options": ["Publish"]},
        {"chosen_options": ["Publish", "Remove"]},
        ["publish", "remove", "legal_review.open_case"],
    ),
    Scenario(
        "example_hitl_llm_guidance",
        "guidance",
        {
            "chosen_options": ["OK"],
            "params_input": {"instructions": "Shorter, please", "max_words": 40, "tone": "formal"},
        },
        {"chosen_options": ["OK"], "params_input": {"instructions": "no", "max_words": 40, "tone": "formal"}},
        ["rewrite"],
    ),
    Scenario(
        "example_hitl_email_approval",
        "approve_release",
        {"chosen_options": ["Approve"]},
        {"chosen_options": ["Maybe"]},
        ["deploy"],
    ),
]
# Ours alone: no built-in counterpart to compare with (printed as skipped rows).
NOT_COMPARED = {
    "example_hitl_termination": "HITLTerminationOperator is ours alone (3.3.2 has no terminating operator)",
    "assigned groups": "responder groups are ours alone (3.3.2 assigns users only)",
}


def normalise(value: Any) -> Any:
    """Drops what differs between any two runs (ids, timestamps) so values can be compared."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in sorted(value.items()) if k not in VOLATILE}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    return value


def drive(
    stack: AirflowStack, scenarios: list[Scenario], parse_errors: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Runs every scenario on ``stack``; per DAG, operation name -> observed (normalised) value."""
    client = stack.client("admin")
    observed: dict[str, dict[str, Any]] = {s.dag_id: {} for s in scenarios}
    runs: dict[str, str] = {}
    for s in scenarios:
        error = next((e for name, e in parse_errors.items() if name == f"{s.dag_id}.py"), None)
        if error:
            observed[s.dag_id]["DAG parses"] = "import error: " + error.strip().splitlines()[-1]
            continue
        observed[s.dag_id]["DAG parses"] = "yes"
        runs[s.dag_id] = client.trigger(s.dag_id)
    started = time.monotonic()
    for s in scenarios:
        if s.dag_id not in runs:
            continue
        run_id, seen = runs[s.dag_id], observed[s.dag_id]
        outcome = wait_for(
            functools.partial(_request_or_end, client, s, run_id), 180, f"the request of {s.dag_id}"
        )
        if isinstance(outcome, str):
            seen["request appears"] = f"no: the task ended {outcome} before asking"
            continue
        detail = cast("dict[str, Any]", outcome)
        seen["request appears"] = "yes"
        print(f"  {s.dag_id}: request visible after {time.monotonic() - started:.1f}s")
        seen["TI state while waiting"] = client.task_instance(s.dag_id, run_id, s.task_id)["state"]
        listed = client.list_requests(s.dag_id, run_id)
        seen["list hitlDetails: total_entries"] = listed["total_entries"]
        seen["detail keys"] = sorted(detail)
        for key in (
            "subject",
            "body",
            "options",
            "defaults",
            "multiple",
            "assigned_users",
            "response_received",
        ):
            seen[f"read: {key}"] = detail.get(key, "(absent)")
        seen["read: params"] = detail.get("params", "(absent)")
    time.sleep(ANSWER_AFTER)
    for s in scenarios:
        seen = observed[s.dag_id]
        if seen.get("request appears") != "yes":
            continue
        run_id = runs[s.dag_id]
        bad = client.http.patch(client.task_path(s.dag_id, run_id, s.task_id), json=s.invalid)
        seen["PATCH invalid answer: status"] = bad.status_code
        answer = client.http.patch(client.task_path(s.dag_id, run_id, s.task_id), json=s.answer)
        seen["PATCH answer: status"] = answer.status_code
        seen["PATCH answer: body"] = normalise(answer.json())
        again = client.http.patch(client.task_path(s.dag_id, run_id, s.task_id), json=s.answer)
        seen["PATCH again: status"] = again.status_code
    for s in scenarios:
        seen = observed[s.dag_id]
        if seen.get("request appears") != "yes":
            continue
        run_id = runs[s.dag_id]
        seen["run state"] = _safely(client.wait_for_run, s.dag_id, run_id, timeout=180)
        seen["HITL task state"] = client.task_instance(s.dag_id, run_id, s.task_id)["state"]
        for task_id in s.downstream:
            seen[f"downstream {task_id}"] = client.task_instance(s.dag_id, run_id, task_id)["state"]
        seen["XCom return_value"] = normalise(_safely(client.xcom, s.dag_id, run_id, s.task_id))
        after = client.get_request(s.dag_id, run_id, s.task_id).json()
        for key in ("response_received", "chosen_options", "params_input", "responded_by_user"):
            seen[f"read after answer: {key}"] = normalise(after.get(key, "(absent)"))
    return observed


def _request_or_end(client: ApiClient, s: Scenario, run_id: str) -> dict[str, Any] | str | None:
    """The request once visible; the task's state if it ended without asking; None meanwhile."""
    response = client.get_request(s.dag_id, run_id, s.task_id)
    if response.status_code == 200:
        return response.json()
    state = client.task_instance(s.dag_id, run_id, s.task_id)["state"]
    return state if state in {"failed", "upstream_failed", "skipped", "success"} else None


def _safely(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return call(*args, **kwargs)
    except Exception as err:  # the observation is the error itself
        return f"error: {err}"


def run_ours(workdir: Path) -> dict[str, dict[str, Any]]:
    stack = AirflowStack(SQLITE, workdir, dag_files=sorted(COMPAT_DAGS.glob("*.py")))
    try:
        started = time.monotonic()
        stack.start()
        print(f"ours (3.0.6) up in {time.monotonic() - started:.0f}s")
        stack.client().wait_for_dag(SCENARIOS[0].dag_id, timeout=180)
        return drive(stack, SCENARIOS, import_errors(stack))
    except Exception:
        print(stack.dump_logs())
        raise
    finally:
        stack.stop()


def run_builtin(workdir: Path) -> dict[str, dict[str, Any]]:
    venv_bin = ensure_venv()
    sources = {f"{s.dag_id}.py": port_dag((EXAMPLES / f"{s.dag_id}.py").read_text()) for s in SCENARIOS}
    stack = BuiltinStack(workdir, venv_bin, dag_sources=sources)
    try:
        started = time.monotonic()
        stack.start()
        print(f"built-in ({AIRFLOW_VERSION}) up in {time.monotonic() - started:.0f}s")
        client = stack.client()
        # A DAG that fails to import never appears; wait for the others, then read the errors.
        wait_for(lambda: _parsed_or_failed(stack, client), 180, "the ported DAGs to be parsed or refused")
        return drive(stack, SCENARIOS, import_errors(stack))
    except Exception:
        print(stack.dump_logs())
        raise
    finally:
        stack.stop()


def _parsed_or_failed(stack: AirflowStack, client: ApiClient) -> bool:
    errors = import_errors(stack)
    return all(
        f"{s.dag_id}.py" in errors or client.http.get(f"/api/v2/dags/{s.dag_id}").status_code == 200
        for s in SCENARIOS
    )


def compare(
    ours: dict[str, dict[str, Any]], builtin: dict[str, dict[str, Any]]
) -> list[tuple[str, str, str, str, str]]:
    """Rows ``(dag, operation, ours, built-in, verdict)``; where one side stopped early, one row
    says so instead of a row per operation it never reached."""
    rows = []
    for s in SCENARIOS:
        mine, theirs = ours[s.dag_id], builtin[s.dag_id]
        for op in list(dict.fromkeys([*mine, *theirs])):
            if op not in mine or op not in theirs:
                left = [o for o in dict.fromkeys([*mine, *theirs]) if o not in mine or o not in theirs]
                side = "ours" if op not in mine else "built-in"
                rows.append(
                    (
                        s.dag_id,
                        f"the other {len(left)} operations",
                        "",
                        "",
                        f"difference: {side} stopped before them",
                    )
                )
                break
            same = (
                verdict(mine[op], theirs[op])
                if op in EXTENSIBLE
                else ("match" if mine[op] == theirs[op] else "difference")
            )
            rows.append((s.dag_id, op, describe(mine[op]), describe(theirs[op]), same))
    for what, why in NOT_COMPARED.items():
        rows.append((what, "(all)", "runs (system tests)", "-", f"skipped: {why}"))
    return rows


def verdict(ours: Any, theirs: Any) -> str:
    """``match``; ``match, ours adds ...`` when ours has every key or item the built-in one has
    (same values) and more; else ``difference``."""
    if ours == theirs:
        return "match"
    if (
        isinstance(ours, dict)
        and isinstance(theirs, dict)
        and all(ours.get(k) == v for k, v in theirs.items())
    ):
        return "match, ours adds " + ", ".join(sorted(set(ours) - set(theirs)))
    texts = (
        isinstance(ours, list)
        and isinstance(theirs, list)
        and all(isinstance(i, str) for i in [*ours, *theirs])
    )
    if texts and set(theirs) < set(ours):
        return "match, ours adds " + ", ".join(sorted(set(ours) - set(theirs)))
    return "difference"


def describe(value: Any, width: int = 48) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[: width - 3] + "..."


def print_table(rows: Sequence[tuple[str, ...]]) -> None:
    header = ("DAG", "operation", "ours (3.0.6)", f"built-in ({AIRFLOW_VERSION})", "result")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = " | ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write every observation (full values) to this file")
    parser.add_argument(
        "--workdir", type=Path, help="where the stacks' homes go (default: a new temporary folder)"
    )
    parser.add_argument(
        "--from-json", type=Path, help="print the table of an earlier run's --json file; start nothing"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        ours, builtin = saved["ours"], saved["builtin"]
    else:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hitl-compat-"))
        ours = run_ours(workdir)
        builtin = run_builtin(workdir)
    rows = compare(ours, builtin)
    print_table(rows)
    differences = sum(1 for r in rows if r[4].startswith("difference"))
    print(f"\n{len(rows)} rows, {differences} differences, {time.monotonic() - started:.0f}s")
    if args.json and not args.from_json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"ours": ours, "builtin": builtin}, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
