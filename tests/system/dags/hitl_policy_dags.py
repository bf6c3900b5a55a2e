"""DAGs for the answer policies: a reason required to reject, separation of duties."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

with DAG(dag_id="hitl_policy_comment", schedule=None, tags=["hitl-test"]):
    gate = ApprovalOperator(
        task_id="approve_payment", subject="Pay invoice 2026-117?", require_comment_on=["Reject"]
    )

    @task
    def pay() -> str:
        return "paid"

    gate >> pay()

# Four eyes: whoever triggered the run may not approve it, nor may racer03.
with DAG(dag_id="hitl_policy_four_eyes", schedule=None, tags=["hitl-test"]):
    four_eyes = ApprovalOperator(
        task_id="approve_release",
        subject="Release build 7 to production?",
        allow_self_approval=False,
        excluded_users=["racer03"],
    )

    @task
    def release() -> str:
        return "released"

    four_eyes >> release()
