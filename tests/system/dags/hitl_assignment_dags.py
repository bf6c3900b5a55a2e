"""DAGs for the assignment tests: a request for one user, one for a responder group, one for nobody."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.sdk import DAG, task

with DAG(dag_id="hitl_assigned_user", schedule=None, tags=["hitl-test"]):
    for_alice = ApprovalOperator(
        task_id="for_alice",
        subject="Alice, approve the budget?",
        assigned_users={"id": "alice", "name": "Alice"},
    )

    @task
    def after_alice() -> str:
        return "ran"

    for_alice >> after_alice()

with DAG(dag_id="hitl_assigned_group", schedule=None, tags=["hitl-test"]):
    for_finance = ApprovalOperator(
        task_id="for_finance",
        subject="Finance, approve the invoice?",
        assigned_groups=["finance", "controllers"],
    )

    @task
    def after_finance() -> str:
        return "ran"

    for_finance >> after_finance()

with DAG(dag_id="hitl_unassigned", schedule=None, tags=["hitl-test"]):
    ApprovalOperator(task_id="for_editors", subject="Anyone who may edit this DAG: go ahead?")
