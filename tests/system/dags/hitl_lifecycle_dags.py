"""DAGs of the request lifecycle tests (tests/system/test_lifecycle.py): short deadlines, no readers."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG, task

with DAG(dag_id="hitl_lifecycle_short_deadline", schedule=None, tags=["hitl-test"]):
    # Not an ApprovalOperator: its "Reject" would skip the task that shows what was used.
    short = HITLOperator(
        task_id="gate",
        subject="Approve within 5 s?",
        options=["Approve", "Reject"],
        defaults="Reject",
        response_timeout=timedelta(seconds=5),
        assigned_groups=["auditors"],
    )

    @task
    def used(decision: dict) -> str:
        return ",".join(decision["chosen_options"])

    used(short.output)

with DAG(dag_id="hitl_lifecycle_waiting", schedule=None, tags=["hitl-test"]):
    waiting = ApprovalOperator(task_id="gate", subject="Waits until somebody acts")

    @task
    def after_waiting() -> str:
        return "ran"

    waiting >> after_waiting()

with DAG(dag_id="hitl_lifecycle_mapped", schedule=None, tags=["hitl-test"]):
    ApprovalOperator.partial(task_id="gate", subject="One of twenty").expand(
        body=[f"Request {index}" for index in range(20)]
    )
