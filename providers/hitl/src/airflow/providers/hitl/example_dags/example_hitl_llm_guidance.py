"""An LLM-style step: a person supplies guidance text and a number, which the next step uses."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import HITLEntryOperator
from airflow.sdk import DAG, Param, task

with DAG(
    dag_id="example_hitl_llm_guidance",
    schedule=None,
    is_paused_upon_creation=False,
    tags=["example", "hitl"],
    doc_md=__doc__,
):

    @task
    def draft_summary() -> str:
        return "Revenue grew 12% while costs stayed flat; churn is the main risk."

    draft = draft_summary()

    guidance = HITLEntryOperator(
        task_id="guidance",
        subject="How should the summary be rewritten?",
        body="Draft:\n\n> {{ ti.xcom_pull(task_ids='draft_summary') }}",
        params={
            "instructions": Param(
                type="string",
                minLength=5,
                format="multiline",
                description="What the model should change",
            ),
            "max_words": Param(80, type="integer", minimum=20, maximum=300, description="Length limit"),
            "tone": Param(
                "neutral",
                type="string",
                enum=["neutral", "upbeat", "formal"],
                values_display={"neutral": "Neutral", "upbeat": "Upbeat", "formal": "Formal"},
            ),
        },
    )

    @task
    def rewrite(draft: str, answer: dict) -> str:
        form = answer["params_input"]
        words = draft.split()[: form["max_words"]]
        return f"[{form['tone']}; {form['instructions']}] " + " ".join(words)

    draft >> guidance
    rewrite(draft, guidance.output)
