from __future__ import annotations

import json
from typing import TYPE_CHECKING

import keyring
import pytest
from keyring.backends import fail

from airflowctl.hitl.errors import CLIError, ExitCode
from airflowctl.hitl.login import load_login, read_token_file

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def airflowctl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An airflowctl login with a saved URL; the keyring is the one that fails (no keyring service)."""
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    for name in (
        "AIRFLOW_CLI_TOKEN",
        "AIRFLOW_CLI_TOKEN_FILE",
        "AIRFLOW_CLI_ENVIRONMENT",
        "AIRFLOW_CLI_DEBUG_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "production.json").write_text(json.dumps({"api_url": "http://airflow.example:8080/"}))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield tmp_path
    keyring.set_keyring(previous)


def token_file(directory: Path, mode: int, text: str = "tok-123\n") -> Path:
    path = directory / "token"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_token_file_readable_only_by_its_owner_is_read(tmp_path: Path) -> None:
    assert read_token_file(token_file(tmp_path, 0o600)) == "tok-123"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_token_file_others_may_read_is_refused(tmp_path: Path, mode: int) -> None:
    with pytest.raises(CLIError, match="chmod 600") as info:
        read_token_file(token_file(tmp_path, mode))
    assert info.value.exit_code == ExitCode.NOT_LOGGED_IN


def test_an_empty_or_missing_token_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CLIError, match="is empty"):
        read_token_file(token_file(tmp_path, 0o600, text="\n"))
    with pytest.raises(CLIError, match="cannot read"):
        read_token_file(tmp_path / "missing")


def test_without_a_keyring_the_token_comes_from_the_environment(
    airflowctl_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CLI_TOKEN", "env-token")
    login = load_login()
    assert (login.api_url, login.token) == ("http://airflow.example:8080", "env-token")


def test_without_a_keyring_the_token_comes_from_a_token_file(
    airflowctl_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CLI_TOKEN_FILE", str(token_file(airflowctl_home, 0o600)))
    assert load_login().token == "tok-123"


def test_without_a_keyring_and_without_a_token_the_error_names_the_alternatives(
    airflowctl_home: Path,
) -> None:
    with pytest.raises(CLIError, match="AIRFLOW_CLI_TOKEN_FILE") as info:
        load_login()
    assert info.value.exit_code == ExitCode.NOT_LOGGED_IN


def test_without_airflowctl_login_the_error_says_how_to_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("AIRFLOW_CLI_TOKEN", "env-token")
    monkeypatch.delenv("AIRFLOW_CLI_ENVIRONMENT", raising=False)
    with pytest.raises(CLIError, match="airflowctl auth login --api-url") as info:
        load_login()
    assert info.value.exit_code == ExitCode.NOT_LOGGED_IN
