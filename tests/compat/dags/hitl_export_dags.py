"""DAGs whose requests ``test_export_builtin.py`` carries over to Airflow 3.3.2's ``hitl_detail``."""

from __future__ import annotations

from datetime import timedelta

from airflow.providers.hitl.operators.hitl import ApprovalOperator, HITLOperator
from airflow.sdk import DAG

with DAG(dag_id="export_answered", schedule=None, is_paused_upon_creation=False):
    ApprovalOperator(
        task_id="approve",
        subject="Ship it?",
        body="Answered before the upgrade.",
        assigned_users=[{"id": "admin", "name": "admin"}],
    )

with DAG(dag_id="export_grouped", schedule=None, is_paused_upon_creation=False):
    HITLOperator(
        task_id="choose",
        subject="Which region?",
        options=["eu", "us", "ap"],
        multiple=True,
        assigned_groups=["finance"],
    )

with DAG(dag_id="export_timed_out", schedule=None, is_paused_upon_creation=False):
    HITLOperator(
        task_id="wait_briefly",
        subject="Anybody there?",
        options=["yes", "no"],
        defaults="no",
        response_timeout=timedelta(seconds=2),
    )
