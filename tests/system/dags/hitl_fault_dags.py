"""DAGs of the fault tests (tests/system/test_faults.py): many requests in one run, mapped."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG, task

# All 50 defer within about 40 s on the production stack (16 Celery slots); then one triggerer is
# killed, and the other one must take the triggers over (15 s) before these deadlines.
DEADLINE_SECONDS = 120

with DAG(dag_id="hitl_fault_deadlines", schedule=None, tags=["hitl-test"]):
    # Not an ApprovalOperator: its "Reject" would skip the task that shows what was used.
    timed = HITLOperator.partial(
        task_id="gate",
        subject="Nobody answers; the default decides",
        options=["Approve", "Reject"],
        defaults="Reject",
        response_timeout=timedelta(seconds=DEADLINE_SECONDS),
    ).expand(body=[f"Request {index}" for index in range(50)])

    @task
    def used(decisions: list[dict]) -> list[str]:
        return [",".join(decision["chosen_options"]) for decision in decisions]

    used(timed.output)


def _answered(dag_id: str, count: int) -> None:
    """A DAG of ``count`` mapped approvals and a task that runs after all of them."""
    with DAG(dag_id=dag_id, schedule=None, tags=["hitl-test"]):
        gates = ApprovalOperator.partial(task_id="gate", subject="One of many").expand(
            body=[f"Request {index}" for index in range(count)]
        )

        @task
        def after_all() -> str:
            return "ran"

        gates >> after_all()


_answered("hitl_fault_answered_20", 20)
_answered("hitl_fault_answered_100", 100)
