"""Content moderation: when the classifier is unsure, a person chooses what happens to a post."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import HITLBranchOperator
from airflow.sdk import DAG, task, task_group

with DAG(
    dag_id="example_hitl_content_moderation",
    schedule=None,
    is_paused_upon_creation=False,
    tags=["example", "hitl"],
    doc_md=__doc__,
    params={"post": "Limited offer!!! Click here to claim your prize"},
):

    @task
    def classify(params: dict | None = None) -> dict:
        text = (params or {})["post"]
        return {"text": text, "spam_score": 0.57 if "!!!" in text else 0.05}

    verdict = classify()

    moderate = HITLBranchOperator(
        task_id="moderate",
        subject="Is this post acceptable? (spam score {{ ti.xcom_pull(task_ids='classify')['spam_score'] }})",
        body=(
            "> {{ ti.xcom_pull(task_ids='classify')['text'] }}\n\n"
            "The classifier is unsure. **Publish** it, send it to **legal review**, or **remove** it."
        ),
        options=["Publish", "Legal review", "Remove"],
        options_mapping={"Publish": "publish", "Legal review": "legal_review", "Remove": "remove"},
        defaults="Legal review",
        response_timeout=timedelta(hours=4),
    )

    @task
    def publish() -> str:
        return "published"

    @task_group
    def legal_review() -> None:
        @task
        def open_case() -> str:
            return "case opened"

        @task
        def notify_legal(case: str) -> str:
            return f"legal notified: {case}"

        notify_legal(open_case())

    @task
    def remove() -> str:
        return "removed"

    verdict >> moderate >> [publish(), legal_review(), remove()]
