"""The ``[hitl]`` settings: renamed options are still read, with a warning naming the new one; the
settle time follows the executor."""

from __future__ import annotations

import pytest

from airflow.hitl.config import get_settings


def test_new_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__HITL__PREPARED_LINKS_ENABLED", "True")
    monkeypatch.setenv("AIRFLOW__HITL__PREPARED_LINK_BASE_URL", "https://airflow.example.com/")
    settings = get_settings()
    assert settings.prepared_links_enabled is True
    assert settings.prepared_link_base_url == "https://airflow.example.com"


def test_old_names_are_read_with_a_deprecation_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__HITL__SHARED_LINKS_ENABLED", "True")
    monkeypatch.setenv("AIRFLOW__HITL__SHARED_LINK_MAX_LIFETIME_SECONDS", "60")
    with pytest.warns(DeprecationWarning, match=r"\[hitl\] shared_links_enabled .* prepared_links_enabled"):
        settings = get_settings()
    assert settings.prepared_links_enabled is True
    assert settings.prepared_link_max_lifetime_seconds == 60


def test_the_new_name_wins_over_the_old_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__HITL__SHARED_LINKS_ENABLED", "True")
    monkeypatch.setenv("AIRFLOW__HITL__PREPARED_LINKS_ENABLED", "False")
    assert get_settings().prepared_links_enabled is False


@pytest.mark.parametrize(
    ("executor", "settle"),
    [
        ("LocalExecutor", 10.0),
        ("CeleryExecutor", 15.0),
        ("airflow.providers.celery.executors.celery_executor.CeleryExecutor", 15.0),
        ("KubernetesExecutor,CeleryExecutor", 15.0),
    ],
)
def test_the_settle_time_allows_for_the_executors_report(
    monkeypatch: pytest.MonkeyPatch, executor: str, settle: float
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    monkeypatch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "5")
    assert get_settings().resume_settle_seconds == settle


def test_a_configured_settle_time_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("AIRFLOW__HITL__RESUME_SETTLE_SECONDS", "30")
    assert get_settings().resume_settle_seconds == 30.0
