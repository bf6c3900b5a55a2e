"""A request still waiting when the database is upgraded; ports to 3.3.2 by the one import change
(``test_export_builtin.py`` runs it there too)."""

from __future__ import annotations

from airflow.providers.hitl.operators.hitl import HITLEntryOperator
from airflow.sdk import DAG, Param

with DAG(dag_id="export_pending", schedule=None, is_paused_upon_creation=False):
    HITLEntryOperator(
        task_id="form",
        subject="Still waiting at the upgrade",
        params={"note": Param("", type="string")},
    )
