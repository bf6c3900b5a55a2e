"""DAGs for the browser tests of Required Actions: one per kind of request a person answers there."""

from __future__ import annotations

from typing import Any

from airflow.providers.hitl.operators.hitl import (
    ApprovalOperator,
    HITLBranchOperator,
    HITLEntryOperator,
)
from airflow.sdk import DAG, Param, task

with DAG(dag_id="hitl_ui_approval", schedule=None, tags=["hitl-test", "hitl-ui"]):
    approve = ApprovalOperator(
        task_id="approve_report",
        subject="Publish the quarterly report?",
        body="The report has **1,280** rows.\n\n* revenue up 4 %\n* two late invoices",
    )

    @task
    def publish() -> str:
        return "published"

    approve >> publish()

with DAG(dag_id="hitl_ui_drawer", schedule=None, tags=["hitl-test", "hitl-ui"]):
    # Assigned to a user nothing else asks, so the request is in her drawer's first ten.
    approve_for_dora = ApprovalOperator(
        task_id="approve_report",
        subject="Publish the quarterly report?",
        body="The report has **1,280** rows.",
        assigned_users={"id": "dora", "name": "Dora"},
    )

    @task
    def publish_for_dora() -> str:
        return "published"

    approve_for_dora >> publish_for_dora()

with DAG(dag_id="hitl_ui_branch", schedule=None, tags=["hitl-test", "hitl-ui"]):
    route = HITLBranchOperator(
        task_id="choose_route",
        subject="Which route should the order take?",
        options=["Fast lane", "Full review"],
        options_mapping={"Fast lane": "fast_lane", "Full review": "full_review"},
    )

    @task
    def fast_lane() -> str:
        return "fast"

    @task
    def full_review() -> str:
        return "full"

    route >> [fast_lane(), full_review()]

with DAG(dag_id="hitl_ui_form", schedule=None, tags=["hitl-test", "hitl-ui"]):
    order = HITLEntryOperator(
        task_id="order_details",
        subject="Fill in the print order",
        body="How many copies, on which paper, for whom?",
        params={
            "copies": Param(2, type="integer", minimum=1, maximum=10, title="Copies"),
            "paper": Param("A4", type="string", enum=["A4", "Letter"], title="Paper size"),
            "recipient": Param(type="string", minLength=1, title="Recipient"),
        },
    )

    @task
    def print_order(answer: dict[str, Any]) -> dict[str, Any]:
        return answer["params_input"]

    print_order(order.output)

# Text a DAG author (or whoever feeds the templates) controls must be shown, never run.
MALICIOUS = (
    "Inspect this <script>window.__pwned = 'script'</script> payload.\n\n"
    '<img src="x" onerror="window.__pwned = \'img\'">\n\n'
    "[a harmless-looking link](javascript:window.__pwned='link')\n\n"
    "<a href=\"javascript:window.__pwned='anchor'\">another link</a>"
)

with DAG(dag_id="hitl_ui_malicious", schedule=None, tags=["hitl-test", "hitl-ui"]):
    ApprovalOperator(
        task_id="review_payload",
        subject="Review <img src=x onerror=\"window.__pwned='subject'\">",
        body=MALICIOUS,
    )

with DAG(dag_id="hitl_ui_assigned", schedule=None, tags=["hitl-test", "hitl-ui"]):
    for_alice = ApprovalOperator(
        task_id="for_alice",
        subject="Alice, sign off the release?",
        assigned_users={"id": "alice", "name": "Alice"},
    )

    @task
    def release() -> str:
        return "released"

    for_alice >> release()
