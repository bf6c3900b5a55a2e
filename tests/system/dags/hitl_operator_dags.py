"""DAGs for the operator system tests: branching, templated options, mapped requests."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import HITLBranchOperator, HITLEntryOperator, HITLOperator
from airflow.sdk import DAG, Param, task, task_group

with DAG(dag_id="hitl_branch_multiple", schedule=None, tags=["hitl-test"]):
    pick = HITLBranchOperator(
        task_id="pick",
        subject="Which steps?",
        options=["quick", "Deep review"],
        options_mapping={"Deep review": "deep"},
        multiple=True,
    )

    @task
    def quick() -> str:
        return "quick"

    @task_group
    def deep() -> None:
        @task
        def collect() -> str:
            return "collected"

        @task
        def analyse(collected: str) -> str:
            return f"analysed {collected}"

        analyse(collect())

    @task(trigger_rule="none_failed_min_one_success")
    def join() -> str:
        return "joined"

    branches = [quick(), deep()]
    pick >> branches
    branches >> join()

with DAG(dag_id="hitl_templated_options", schedule=None, tags=["hitl-test"]):

    @task
    def colours() -> list[str]:
        return ["red", "green", "blue"]

    choose = HITLOperator(
        task_id="choose_colour",
        subject="Pick a colour",
        options="{{ ti.xcom_pull(task_ids='colours') | tojson }}",
        defaults=None,
    )
    colours() >> choose

with DAG(dag_id="hitl_mapped", schedule=None, tags=["hitl-test"]):
    review = HITLOperator.partial(task_id="review_item", options=["keep", "drop"]).expand(
        subject=["Keep item 0?", "Keep item 1?", "Keep item 2?"]
    )

    @task
    def collect_answers(answers: list[dict]) -> list[str]:
        return [answer["chosen_options"][0] for answer in answers]

    collect_answers(review.output)

with DAG(dag_id="hitl_sensitive_form", schedule=None, tags=["hitl-test"]):
    credentials = HITLEntryOperator(
        task_id="credentials",
        subject="Paste the vendor's API key",
        params={
            "api_key": Param(type="string", format="password", minLength=8),
            "vendor": Param("acme", type="string"),
        },
    )

    @task
    def key_length(answer: dict) -> int:
        return len(answer["params_input"]["api_key"])

    key_length(credentials.output)
