"""The request that the input-limit tests send refused and valid answers to."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import HITLOperator
from airflow.sdk import DAG, Param

with DAG(dag_id="hitl_input_limits", schedule=None, tags=["hitl-test"]):
    HITLOperator(
        task_id="decide",
        subject="A request that oversized and malformed answers must not reach",
        options=["Approve", "Reject"],
        params={
            "amount": Param(10, type="number", minimum=0, maximum=100),
            "notes": Param(None, type=["object", "array", "string", "null"]),
        },
        execution_timeout=timedelta(hours=1),
    )
