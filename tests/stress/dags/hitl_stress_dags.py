"""DAGs of the stress scripts: one approval gate (no upstream task) and one downstream task.

``hitl_stress_instant_retries0`` and ``hitl_stress_instant_retries1`` differ only in the gate's
``retries``; with retries a lost resume shows as an extra try instead of a failed task. The
downstream task has retries of its own: Airflow 3.0.6's LocalExecutor can hand a task to a worker
before the scheduler has committed it as queued, and the task then fails without running (fixed
upstream in apache/airflow#56010); the retries keep that core race out of the "lost answer"
figure (the script still reports it).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

MAX_RUNS = 1000


def build(retries: int) -> DAG:
    with DAG(
        dag_id=f"hitl_stress_instant_retries{retries}",
        schedule=None,
        max_active_runs=MAX_RUNS,
        max_active_tasks=MAX_RUNS,
        tags=["hitl-stress"],
    ) as dag:
        gate = ApprovalOperator(
            task_id="gate",
            subject=f"Stress gate (retries={retries})",
            retries=retries,
            retry_delay=timedelta(seconds=1),
        )

        @task(retries=3, retry_delay=timedelta(seconds=1))
        def after(decision: dict) -> list[str]:
            return list(decision["chosen_options"])

        after(gate.output)
    return dag


retries0 = build(0)
retries1 = build(1)
