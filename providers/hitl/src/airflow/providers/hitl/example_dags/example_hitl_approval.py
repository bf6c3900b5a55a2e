"""An approval gate: a report is published only when a person approves it."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

with DAG(
    dag_id="example_hitl_approval",
    schedule=None,
    is_paused_upon_creation=False,
    tags=["example", "hitl"],
    doc_md=__doc__,
):

    @task
    def prepare_report() -> dict:
        return {"title": "Q3 revenue", "rows": 1280}

    report = prepare_report()

    approve = ApprovalOperator(
        task_id="approve_publication",
        subject="Publish the report '{{ ti.xcom_pull(task_ids='prepare_report')['title'] }}'?",
        body=(
            "The report has **{{ ti.xcom_pull(task_ids='prepare_report')['rows'] }}** rows.\n\n"
            "Approve to publish it, reject to stop here."
        ),
        defaults="Reject",
        response_timeout=timedelta(days=1),
    )

    @task
    def publish(decision: dict) -> str:
        return f"published after {decision['chosen_options'][0]} by {decision['responded_by_user']}"

    report >> approve
    publish(approve.output)
