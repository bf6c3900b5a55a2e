"""The request that the property-based API tests answer with generated (invalid) bodies."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import HITLOperator
from airflow.sdk import DAG, Param

with DAG(dag_id="hitl_api_properties", schedule=None, tags=["hitl-test"]):
    HITLOperator(
        task_id="decide",
        subject="A request that generated answers try to break",
        options=["Approve", "Reject"],
        params={
            "amount": Param(10, type="integer", minimum=1, maximum=1000),
            "currency": Param("EUR", type="string", enum=["EUR", "USD"]),
            "reason": Param(type="string", minLength=3),
        },
        execution_timeout=timedelta(hours=1),
    )
