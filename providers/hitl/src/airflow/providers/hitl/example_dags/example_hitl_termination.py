"""Ending a run by human decision: after a failed data-quality check, a person stops or proceeds."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import HITLTerminationOperator
from airflow.sdk import DAG, task

with DAG(
    dag_id="example_hitl_termination",
    schedule=None,
    is_paused_upon_creation=False,
    tags=["example", "hitl"],
    doc_md=__doc__,
):

    @task
    def check_quality() -> dict:
        return {"null_rows": 42, "threshold": 10}

    quality = check_quality()

    decide = HITLTerminationOperator(
        task_id="stop_or_proceed",
        subject="{{ ti.xcom_pull(task_ids='check_quality')['null_rows'] }} rows have nulls. Load anyway?",
        body="**Stop** ends this run here; **Proceed** loads the data as it is.",
        defaults="Stop",
        response_timeout=timedelta(hours=2),
    )

    @task
    def load() -> str:
        return "loaded"

    @task
    def report(result: str) -> str:
        return f"report: {result}"

    loaded = load()
    quality >> decide >> loaded
    report(loaded)
