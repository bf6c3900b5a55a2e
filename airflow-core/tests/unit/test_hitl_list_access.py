"""Specification of the list routes' access check: ``~`` in the path means every DAG, and the auth
manager is asked about no DAG in particular (FAB would check the permission ``DAG:~``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import HTTPException

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.hitl.api import security
from airflow.hitl.api.security import dag_details_of, requires_access_dag_or_every_dag


class RecordingAuthManager:
    """Allows what ``allowed`` says for a DAG id; records what it was asked."""

    def __init__(self, allowed: set[str | None]) -> None:
        self.allowed = allowed
        self.asked: list[tuple[str, Any, str | None]] = []

    def is_authorized_dag(
        self, *, method: str, user: Any, access_entity: Any = None, details: Any = None
    ) -> bool:
        self.asked.append((method, access_entity, details.id))
        return details.id in self.allowed


def check(monkeypatch: pytest.MonkeyPatch, dag_id: str, allowed: set[str | None]) -> RecordingAuthManager:
    manager = RecordingAuthManager(allowed)
    monkeypatch.setattr(security, "get_auth_manager", lambda: manager)
    dependency = requires_access_dag_or_every_dag("GET", DagAccessEntity.TASK_INSTANCE)
    dependency(SimpleNamespace(path_params={"dag_id": dag_id, "dag_run_id": "~"}), user=object())
    return manager


def test_every_dag_asks_about_no_dag_in_particular(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = check(monkeypatch, "~", allowed={None})
    assert manager.asked == [("GET", DagAccessEntity.TASK_INSTANCE, None)]


def test_one_dag_asks_about_that_dag(monkeypatch: pytest.MonkeyPatch) -> None:
    assert check(monkeypatch, "team_a", allowed={"team_a"}).asked[0][2] == "team_a"


def test_a_refusal_is_403(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(HTTPException) as refused:
        check(monkeypatch, "team_b", allowed={None, "team_a"})
    assert refused.value.status_code == 403


@pytest.mark.parametrize(("dag_id", "expected"), [("~", None), ("d", "d"), (None, None), ("~x", "~x")])
def test_dag_details_of(dag_id: str | None, expected: str | None) -> None:
    assert dag_details_of(dag_id).id == expected
