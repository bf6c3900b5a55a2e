"""DAGs for the answer policies: a reason required to reject, separation of duties, quorums."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLOperator
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

# Quorum: two distinct approvals approve, one rejection rejects.
with DAG(dag_id="hitl_policy_quorum", schedule=None, tags=["hitl-test"]):
    two_approvals = ApprovalOperator(
        task_id="approve_change", subject="Apply schema change 12?", required_approvals=2
    )

    @task
    def apply_change() -> str:
        return "applied"

    two_approvals >> apply_change()

# Quorum on a single choice: the first option with two votes wins.
with DAG(dag_id="hitl_policy_quorum_choice", schedule=None, tags=["hitl-test"]):
    HITLOperator(
        task_id="pick_colour", subject="Colour of the launch page?", options=["red", "green", "blue"],
        required_approvals=2,
    )  # fmt: skip

# Many voters at once (tests/system/test_concurrency.py): thirty approvals approve.
with DAG(dag_id="hitl_policy_quorum_race", schedule=None, tags=["hitl-test"]):
    ApprovalOperator(task_id="approve_race", subject="Thirty approvals?", required_approvals=30)
