"""DAGs the system tests run (next to the provider's example DAGs)."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG, task

DEADLINE = timedelta(seconds=12)

with DAG(dag_id="hitl_timeout_with_default", schedule=None, tags=["hitl-test"]):
    gate = ApprovalOperator(
        task_id="gate", subject="Approve within 12 s?", defaults="Approve", response_timeout=DEADLINE
    )

    @task
    def after(decision: dict) -> str:
        return ",".join(decision["chosen_options"])

    after(gate.output)

with DAG(dag_id="hitl_timeout_without_default", schedule=None, tags=["hitl-test"]):
    question = HITLOperator(
        task_id="question",
        subject="Yes or no, within 12 s?",
        options=["Yes", "No"],
        response_timeout=DEADLINE,
    )

    @task
    def after_question(decision: dict) -> str:
        return ",".join(decision["chosen_options"])

    after_question(question.output)

with DAG(dag_id="hitl_fail_on_reject", schedule=None, tags=["hitl-test"]):
    strict = ApprovalOperator(task_id="strict_gate", subject="Reject fails this task", fail_on_reject=True)

    @task
    def after_strict() -> str:
        return "ran"

    strict >> after_strict()

with DAG(dag_id="hitl_retry_after_reject", schedule=None, tags=["hitl-test"]):
    retried = ApprovalOperator(
        task_id="retried_gate",
        subject="Reject fails this try; the retry asks again",
        fail_on_reject=True,
        retries=1,
        retry_delay=timedelta(seconds=1),
    )

    @task
    def after_retry() -> str:
        return "ran"

    retried >> after_retry()

# Run only by `airflow dags test` in the tests: paused, so the stack's scheduler never runs them too.
with DAG(
    dag_id="hitl_dags_test_with_defaults", schedule=None, is_paused_upon_creation=True, tags=["hitl-test"]
):
    ApprovalOperator(task_id="gate", subject="Approve under dags test?", defaults="Approve")

with DAG(
    dag_id="hitl_dags_test_without_defaults", schedule=None, is_paused_upon_creation=True, tags=["hitl-test"]
):
    HITLOperator(task_id="question", subject="Yes or no under dags test?", options=["Yes", "No"])
