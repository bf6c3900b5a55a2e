"""Specification of the "Required Action" extra link of the HITL operators."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from airflow.providers.hitl.get_provider_info import get_provider_info
from airflow.providers.hitl.links.required_action import RequiredActionLink
from airflow.providers.hitl.operators.hitl import (
    ApprovalOperator,
    HITLBranchOperator,
    HITLEntryOperator,
    HITLOperator,
    HITLTerminationOperator,
)

LINK_PATH = "airflow.providers.hitl.links.required_action.RequiredActionLink"


def link_for(dag_id: str, run_id: str, task_id: str, map_index: int = -1) -> str:
    key = SimpleNamespace(dag_id=dag_id, run_id=run_id, task_id=task_id, map_index=map_index)
    return RequiredActionLink().get_link(None, ti_key=key)  # type: ignore[arg-type]


def test_the_url_is_the_response_view_of_the_task_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://af/x/")
    assert link_for("sales", "manual__2026-11-28T06:00:00+00:00", "approve", 3) == (
        "https://af/x/required_actions/dags/sales/runs/manual__2026-11-28T06%3A00%3A00%2B00%3A00/tasks/approve/3"
    )


def test_ids_cannot_break_out_of_their_path_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "")
    assert (
        link_for("d", "a/../../b?c#d", "t")
        == "/required_actions/dags/d/runs/a%2F..%2F..%2Fb%3Fc%23d/tasks/t/-1"
    )


def test_the_link_uses_the_api_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.example:8080")
    assert link_for("d", "r", "t") == "http://airflow.example:8080/required_actions/dags/d/runs/r/tasks/t/-1"


@pytest.mark.parametrize(
    "operator",
    [HITLOperator, ApprovalOperator, HITLBranchOperator, HITLEntryOperator, HITLTerminationOperator],
)
def test_every_hitl_operator_has_the_link(operator: type[HITLOperator]) -> None:
    assert [link.name for link in operator.operator_extra_links] == ["Required Action"]


def test_the_provider_registers_the_link_so_the_api_server_knows_it() -> None:
    assert LINK_PATH in get_provider_info()["extra-links"]
