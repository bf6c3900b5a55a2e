"""The ``[hitl]`` settings: renamed options are still read, with a warning naming the new one."""

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
