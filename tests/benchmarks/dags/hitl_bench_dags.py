"""DAGs of the benchmarks.

* ``hitl_bench_latency``: an approval gate (no upstream task) and one downstream task.
* ``hitl_bench_floor``: two plain tasks, the machine's floor for "one task done -> next done".
* ``hitl_bench_waiting``: ``n`` (from the run's conf) mapped HITL requests that nobody answers.
"""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG, Param, task

with DAG(dag_id="hitl_bench_latency", schedule=None, max_active_runs=16, tags=["hitl-bench"]):
    gate = ApprovalOperator(task_id="gate", subject="Benchmark gate")

    @task
    def after(decision: dict) -> list[str]:
        return list(decision["chosen_options"])

    after(gate.output)

with DAG(dag_id="hitl_bench_floor", schedule=None, max_active_runs=16, tags=["hitl-bench"]):

    @task
    def first() -> int:
        return 1

    @task
    def second(value: int) -> int:
        return value + 1

    second(first())

with DAG(
    dag_id="hitl_bench_waiting",
    schedule=None,
    max_active_runs=16,
    params={"n": Param(10, type="integer", minimum=1)},
    tags=["hitl-bench"],
):

    @task
    def subjects(params: dict | None = None) -> list[str]:
        count = int((params or {})["n"])
        return [f"Waiting request {i}" for i in range(count)]

    HITLOperator.partial(task_id="ask", options=["Yes", "No"]).expand(subject=subjects())
