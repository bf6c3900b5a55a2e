"""DAGs of the benchmarks.

* ``hitl_bench_latency``: an approval gate (no upstream task) and one downstream task.
* ``hitl_bench_floor``: two plain tasks, the machine's floor for "one task done -> next done".
* ``hitl_bench_waiting``: ``n`` (from the run's conf) mapped HITL requests that nobody answers.
* ``hitl_bench_burst``: an approval gate and one downstream task, without retries.

Tasks other than the measured gate have retries: Airflow 3.0.6's LocalExecutor can hand a task
to a worker before the scheduler has committed it as queued, and the task then fails without
running (fixed upstream in apache/airflow#56010). The retries keep that core race from failing
the runs; the scripts still report it.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG, Param, task

RETRIES, RETRY_DELAY = 3, timedelta(seconds=1)

with DAG(dag_id="hitl_bench_latency", schedule=None, max_active_runs=16, tags=["hitl-bench"]):
    gate = ApprovalOperator(task_id="gate", subject="Benchmark gate")

    @task(retries=RETRIES, retry_delay=RETRY_DELAY)
    def after(decision: dict) -> list[str]:
        return list(decision["chosen_options"])

    after(gate.output)

with DAG(dag_id="hitl_bench_floor", schedule=None, max_active_runs=16, tags=["hitl-bench"]):

    @task(retries=RETRIES, retry_delay=RETRY_DELAY)
    def first() -> int:
        return 1

    @task(retries=RETRIES, retry_delay=RETRY_DELAY)
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

    @task(retries=RETRIES, retry_delay=RETRY_DELAY)
    def subjects(params: dict | None = None) -> list[str]:
        count = int((params or {})["n"])
        return [f"Waiting request {i}" for i in range(count)]

    HITLOperator.partial(
        task_id="ask", options=["Yes", "No"], retries=RETRIES, retry_delay=RETRY_DELAY
    ).expand(subject=subjects())

# The burst benchmark (tests/benchmarks/burst.py): no retries anywhere, so a task that fails at its
# start shows as failed. The limits are the ones the benchmark sets in [core]: Airflow 3.0.6's Task
# SDK DAG does not read [core] max_active_runs_per_dag / max_active_tasks_per_dag (its defaults are
# a fixed 16), so the DAG states them.
with DAG(
    dag_id="hitl_bench_burst", schedule=None, max_active_runs=100, max_active_tasks=128, tags=["hitl-bench"]
):
    burst_gate = ApprovalOperator(task_id="gate", subject="Burst gate", retries=0)

    @task(retries=0)
    def burst_after(decision: dict) -> list[str]:
        return list(decision["chosen_options"])

    burst_after(burst_gate.output)
