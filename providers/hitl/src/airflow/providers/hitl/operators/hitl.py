"""Operators that pause a DAG until a person chooses, approves or fills in a form.

The import path DAGs and the docs use; each operator lives in the module of its concept:
``base`` (``HITLOperator``), ``approval`` (the fixed-option variants), ``branch``, ``entry``,
``definition`` (normalising what a DAG author writes) and ``exceptions``.
"""

from __future__ import annotations

from airflow.providers.hitl.operators.approval import (
    ApprovalOperator,
    FixedOptionsHITLOperator,
    HITLTerminationOperator,
    skip_downstream,
)
from airflow.providers.hitl.operators.base import HITLOperator, _running_in_dag_test
from airflow.providers.hitl.operators.branch import HITLBranchOperator
from airflow.providers.hitl.operators.definition import (
    UserSpec,
    normalize_groups,
    normalize_users,
    params_to_specs,
)
from airflow.providers.hitl.operators.entry import HITLEntryOperator
from airflow.providers.hitl.operators.exceptions import HITLRejectedError, HITLTimeoutError

__all__ = [
    "ApprovalOperator",
    "FixedOptionsHITLOperator",
    "HITLBranchOperator",
    "HITLEntryOperator",
    "HITLOperator",
    "HITLRejectedError",
    "HITLTerminationOperator",
    "HITLTimeoutError",
    "UserSpec",
    "_running_in_dag_test",
    "normalize_groups",
    "normalize_users",
    "params_to_specs",
    "skip_downstream",
]
