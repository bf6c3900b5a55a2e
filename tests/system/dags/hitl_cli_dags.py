"""DAGs for the command-line tests: an approval, a branch, a form, and assigned requests."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLBranchOperator, HITLEntryOperator
from airflow.sdk import DAG, Param, task

with DAG(dag_id="hitl_cli_approval", schedule=None, tags=["hitl-test"]):
    release = ApprovalOperator(
        task_id="approve_release", subject="Release build [42] to production?", body="All checks passed."
    )

    @task
    def deploy() -> str:
        return "deployed"

    release >> deploy()

with DAG(dag_id="hitl_cli_branch", schedule=None, tags=["hitl-test"]):
    route = HITLBranchOperator(task_id="route", subject="Which review?", options=["fast", "thorough"])

    @task
    def fast() -> str:
        return "fast"

    @task
    def thorough() -> str:
        return "thorough"

    route >> [fast(), thorough()]

with DAG(dag_id="hitl_cli_form", schedule=None, tags=["hitl-test"]):
    order = HITLEntryOperator(
        task_id="order",
        subject="Order details",
        params={
            "count": Param(3, type="integer", minimum=1, maximum=10, description="How many boxes"),
            "speed": Param(
                "standard",
                type="string",
                enum=["standard", "express"],
                values_display={"standard": "Standard", "express": "Express (extra cost)"},
            ),
            "api_key": Param(type="string", format="password", minLength=8),
            "labels": Param(["fragile"], type="array", items={"type": "string"}),
        },
    )

    @task
    def summary(answer: dict) -> dict:
        values = answer["params_input"]
        return {"count": values["count"], "speed": values["speed"], "key_length": len(values["api_key"])}

    summary(order.output)

with DAG(dag_id="hitl_cli_for_alice", schedule=None, tags=["hitl-test"]):
    ApprovalOperator(
        task_id="alice_gate",
        subject="Alice, sign off the CLI test?",
        assigned_users={"id": "alice", "name": "Alice"},
    )

with DAG(dag_id="hitl_cli_for_group", schedule=None, tags=["hitl-test"]):
    ApprovalOperator(task_id="group_gate", subject="Reviewers, sign off?", assigned_groups=["cli-reviewers"])
