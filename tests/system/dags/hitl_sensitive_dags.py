"""DAGs for the sensitive-value system tests: a password field answered, defaulted and timed out."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from airflow.providers.hitl.operators.hitl import HITLEntryOperator
from airflow.sdk import DAG, Param, task

DEFAULT_KEY = "default-key-4242"


def keep_digest(context: Any, result: dict[str, Any]) -> None:
    """What a DAG author does with the real value: use it (here: keep its digest) and log it."""
    key = result["params_input"]["api_key"]
    context["ti"].xcom_push(key="api_key_digest", value=hashlib.sha256(key.encode()).hexdigest())
    context["task"].log.info("Using the API key %s", key)


def credentials_form(**kwargs: Any) -> HITLEntryOperator:
    return HITLEntryOperator(
        task_id="credentials",
        subject="Paste the vendor's API key",
        params={
            "api_key": Param(DEFAULT_KEY, type="string", format="password", minLength=8),
            "vendor": Param("acme", type="string"),
        },
        on_response=keep_digest,
        **kwargs,
    )


@task
def key_seen_downstream(answer: dict) -> str:
    return answer["params_input"]["api_key"]


with DAG(dag_id="hitl_sensitive_answer", schedule=None, tags=["hitl-test"]):
    key_seen_downstream(credentials_form().output)

with DAG(dag_id="hitl_sensitive_timeout", schedule=None, tags=["hitl-test"]):
    # Long enough for the scheduler to take in the deferred exit before the task resumes: Airflow
    # 3.0 fails a task whose resumed try runs before that (seen with a 2 s deadline).
    key_seen_downstream(credentials_form(response_timeout=timedelta(seconds=8)).output)
