"""``airflowctl-hitl`` against a real Airflow: log in through airflowctl, list, show and answer
requests, manage groups, every refusal's exit code, interactive prompting on a pseudo-terminal and
the headless login (token from the environment or a file).

The command runs as a subprocess (the venv's console script), as a user would run it. The machine
has no keyring service, so the stored-login tests give airflowctl a file-backed keyring
(``airflow-ctl/tests/file_keyring.py``); the headless tests use the failing keyring explicitly.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.system.airflow_stack import REPO_ROOT, VENV_BIN, AirflowStack, free_port, on_one_stack

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

CLI = str(VENV_BIN / "airflowctl-hitl")
AIRFLOWCTL = str(VENV_BIN / "airflowctl")
KEYRING_DIR = REPO_ROOT / "airflow-ctl" / "tests"

# Exit codes, as documented in docs/cli.md.
INVALID_OPTION, FORBIDDEN, NOT_FOUND, CONFLICT, INVALID_VALUES = 4, 5, 6, 7, 8
USAGE, NOT_LOGGED_IN, UNREACHABLE = 2, 3, 9


class CliUser:
    """One person's terminal: their own home, airflowctl login and keyring."""

    def __init__(
        self, stack: AirflowStack, home: Path, keyring_backend: str = "file_keyring.FileKeyring"
    ) -> None:
        self.stack = stack
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.keyring_backend = keyring_backend

    @property
    def keyring_file(self) -> Path:
        return self.home / "keyring.json"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            {
                "HOME": str(self.home),
                "AIRFLOW_HOME": str(self.home / "airflowctl"),
                "PYTHONPATH": str(KEYRING_DIR),
                "PYTHON_KEYRING_BACKEND": self.keyring_backend,
                "FILE_KEYRING_PATH": str(self.keyring_file),
                "NO_COLOR": "1",
                "TERM": "dumb",
            }
        )
        env.update(extra)
        return env

    def airflowctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [AIRFLOWCTL, *args], env=self.env(), capture_output=True, text=True, timeout=120, check=False
        )

    def login(self, user: str) -> CliUser:
        """``airflowctl auth login`` with the user's name and password, as a person does once."""
        result = self.airflowctl(
            "auth", "login", "--api-url", self.stack.base_url, "--username", user,
            "--password", self.stack.passwords[user],
        )  # fmt: skip
        assert result.returncode == 0 and "Login successful" in result.stdout, result.stdout + result.stderr
        return self

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def json(self, *args: str) -> Any:
        result = self.run(*args, "-o", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def fails(self, exit_code: int, *args: str, **env: str) -> str:
        """Runs a command that must fail with ``exit_code``; returns its one-line error."""
        result = self.run(*args, **env)
        assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]


@pytest.fixture(scope="module")
def terminal(stack: AirflowStack, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], CliUser]:
    """``terminal("alice")``: a CLI user logged in through airflowctl (once per user and module)."""
    users: dict[str, CliUser] = {}

    def logged_in(user: str) -> CliUser:
        if user not in users:
            users[user] = CliUser(stack, tmp_path_factory.mktemp(f"cli-{user}")).login(user)
        return users[user]

    return logged_in


def waiting_request(stack: AirflowStack, dag_id: str, task_id: str) -> str:
    """Triggers ``dag_id`` and waits until ``task_id`` asks; returns the run id."""
    api = stack.client()
    run_id = api.trigger(dag_id)
    api.wait_for_request(dag_id, run_id, task_id)
    return run_id


@on_one_stack()
def test_login_through_airflowctl_then_list_show_and_approve(
    stack: AirflowStack, terminal: Callable[[str], CliUser]
) -> None:
    admin = terminal("admin")
    stored = json.loads(admin.keyring_file.read_text())
    assert stored.get("airflowctl/api_token_production"), "airflowctl stored no token in the keyring"
    run_id = waiting_request(stack, "hitl_cli_approval", "approve_release")
    api = stack.client()

    listed = admin.json("list", "--all", "--dag-id", "hitl_cli_approval")
    assert [r["task_instance"]["dag_run_id"] for r in listed["hitl_details"]] == [run_id]
    assert listed["total_entries"] == 1
    table = admin.run("list", "--all", "--dag-id", "hitl_cli_approval", "-o", "table")
    assert table.returncode == 0, table.stderr
    assert run_id in table.stdout and "Release build [42] to production?" in table.stdout
    assert "Approve, Reject" in table.stdout

    shown = admin.json("show", "hitl_cli_approval", run_id, "approve_release")
    assert shown == api.get_request("hitl_cli_approval", run_id, "approve_release").json()
    yaml_text = admin.run("show", "hitl_cli_approval", run_id, "approve_release", "-o", "yaml").stdout
    assert "subject: Release build [42] to production?" in yaml_text

    answer = admin.json("approve", "hitl_cli_approval", run_id, "approve_release")
    assert answer["chosen_options"] == ["Approve"] and answer["responded_by"]["id"] == "admin"
    api.wait_for_state("hitl_cli_approval", run_id, "deploy", {"success"})
    recorded = api.get_request("hitl_cli_approval", run_id, "approve_release").json()
    assert recorded["response_channel"] == "cli"

    again = admin.fails(CONFLICT, "reject", "hitl_cli_approval", run_id, "approve_release")
    assert again.startswith(
        "Error: respond: conflict: This request takes no answers: already answered by admin"
    )
    shown_table = admin.run("show", "hitl_cli_approval", run_id, "approve_release", "-o", "table").stdout
    assert "responded_by" in shown_table and "Approve" in shown_table


@on_one_stack()
def test_branch_and_form_answered_with_options_and_params(
    stack: AirflowStack, terminal: Callable[[str], CliUser], tmp_path: Path
) -> None:
    admin = terminal("admin")
    api = stack.client()
    branch_run = waiting_request(stack, "hitl_cli_branch", "route")
    answer = admin.json("respond", "hitl_cli_branch", branch_run, "route", "--option", "thorough")
    assert answer["chosen_options"] == ["thorough"]

    form_run = waiting_request(stack, "hitl_cli_form", "order")
    fields = admin.run("show", "hitl_cli_form", form_run, "order", "-o", "table")
    assert fields.returncode == 0, fields.stderr
    for described in ("integer", ">= 1", "<= 10", "How many boxes", "string (password)",
                      "at least 8 characters", "express (Express (extra cost))", "array of string"):  # fmt: skip
        assert described in fields.stdout, described

    values = tmp_path / "order.json"
    values.write_text(json.dumps({"api_key": "k3y-from-file", "speed": "express", "count": 9}))
    answer = admin.json(
        "respond", "hitl_cli_form", form_run, "order", "--option", "OK",
        "--params-file", str(values), "--param", "count=4", "--param", "labels=fragile,heavy",
    )  # fmt: skip
    assert answer["params_input"] == {
        "count": 4, "speed": "express", "api_key": "k3y-from-file", "labels": ["fragile", "heavy"]
    }  # fmt: skip

    api.wait_for_state("hitl_cli_branch", branch_run, "thorough", {"success"})
    assert api.task_instance("hitl_cli_branch", branch_run, "fast")["state"] == "skipped"
    api.wait_for_state("hitl_cli_form", form_run, "summary", {"success"})
    # The password reaches downstream tasks masked (the responder read it back as given above).
    assert api.xcom("hitl_cli_form", form_run, "summary") == {
        "count": 4,
        "speed": "express",
        "key_length": len("***"),
    }


@on_one_stack()
def test_each_refusal_is_one_line_with_its_own_exit_code(
    stack: AirflowStack, terminal: Callable[[str], CliUser], tmp_path: Path
) -> None:
    admin, bob = terminal("admin"), terminal("bob")
    form_run = waiting_request(stack, "hitl_cli_form", "order")
    alice_run = waiting_request(stack, "hitl_cli_for_alice", "alice_gate")
    task = ("hitl_cli_form", form_run, "order")

    error = admin.fails(
        INVALID_OPTION, "respond", *task, "--option", "Nope", "--param", "api_key=long-enough"
    )
    assert "invalid option: option 'Nope' is not one of ['OK']" in error

    error = admin.fails(
        INVALID_VALUES, "respond", *task, "--option", "OK", "--param", "count=11", "--param", "api_key=short"
    )
    assert "invalid values:" in error
    assert "count: 11 is greater than the maximum of 10" in error and "api_key: 'short' is too short" in error
    error = admin.fails(INVALID_VALUES, "respond", *task, "--option", "OK", "--param", "count=abc")
    assert "count: 'abc' is not of type 'integer'" in error and "api_key: a value is required" in error

    error = bob.fails(FORBIDDEN, "approve", "hitl_cli_for_alice", alice_run, "alice_gate")
    assert "not allowed" in error and "alice" in error
    error = admin.fails(NOT_FOUND, "show", "hitl_cli_approval", "no-such-run", "approve_release")
    assert "not found" in error

    error = admin.fails(USAGE, "respond", *task)
    assert "no --option given and stdin is not a terminal" in error
    bad_file = tmp_path / "values.json"
    bad_file.write_text("[1, 2]")
    error = admin.fails(USAGE, "respond", *task, "--option", "OK", "--params-file", str(bad_file))
    assert "must hold a JSON object" in error

    # Nothing was recorded by the refused answers: the request still waits.
    assert stack.client().get_request(*task).json()["status"] == "pending"

    stranger = CliUser(stack, tmp_path / "stranger")
    assert "airflowctl auth login" in stranger.fails(NOT_LOGGED_IN, "list")
    expired = stranger.fails(NOT_LOGGED_IN, "list", AIRFLOW_CLI_TOKEN="not-a-token")
    assert "not logged in" in expired  # no URL saved yet: the login is missing altogether
    stranger.airflowctl("auth", "login", "--api-url", stack.base_url, "--api-token", "not-a-token")
    refused = stranger.fails(NOT_LOGGED_IN, "list", AIRFLOW_CLI_TOKEN="not-a-token")
    assert "refused the login" in refused
    nowhere = CliUser(stack, tmp_path / "nowhere")
    nowhere.airflowctl("auth", "login", "--api-url", f"http://127.0.0.1:{free_port()}", "--api-token", "x")
    assert "cannot reach the API server" in nowhere.fails(UNREACHABLE, "list", AIRFLOW_CLI_TOKEN="x")


@on_one_stack()
def test_reject_needs_comment_where_the_request_says_and_show_prints_it(
    stack: AirflowStack, terminal: Callable[[str], CliUser]
) -> None:
    admin = terminal("admin")
    run_id = waiting_request(stack, "hitl_policy_comment", "approve_payment")
    task = ("hitl_policy_comment", run_id, "approve_payment")

    error = admin.fails(INVALID_VALUES, "reject", *task)
    assert "a comment is required when choosing 'Reject'" in error
    assert stack.client().get_request(*task).json()["status"] == "pending"

    answer = admin.json("reject", *task, "--comment", "Wrong bank account")
    assert answer["comment"] == "Wrong bank account"
    shown = admin.run("show", *task, "-o", "table")
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"comment\s+.*Wrong bank account", shown.stdout)


@on_one_stack()
def test_list_shows_what_is_pending_for_me(stack: AirflowStack, terminal: Callable[[str], CliUser]) -> None:
    alice, bob = terminal("alice"), terminal("bob")
    run_id = waiting_request(stack, "hitl_cli_for_alice", "alice_gate")

    def runs(user: CliUser, *args: str) -> set[str]:
        return {r["task_instance"]["dag_run_id"] for r in user.json("list", *args)["hitl_details"]}

    assert run_id in runs(alice)
    assert run_id not in runs(bob)
    bobs_table = bob.run("list", "-o", "table")
    assert bobs_table.returncode == 0 and run_id not in bobs_table.stdout
    assert re.search(
        r"\d+ more pending requests are waiting for others: see them with --all", bobs_table.stderr
    )
    assert run_id in runs(bob, "--all", "--search", "sign off the CLI")
    assert run_id not in runs(bob, "--all", "--search", "no such subject")
    alice.json("approve", "hitl_cli_for_alice", run_id, "alice_gate")
    assert run_id not in runs(alice)
    assert run_id in runs(alice, "--status", "responded", "--task-id", "alice_gate")


@on_one_stack()
def test_groups_are_managed_and_route_requests(
    stack: AirflowStack, terminal: Callable[[str], CliUser]
) -> None:
    admin, bob = terminal("admin"), terminal("bob")
    created = admin.json("groups", "create", "cli-reviewers", "--member", "bob", "--description", "CLI tests")
    assert (created["name"], created["members"], created["description"]) == (
        "cli-reviewers",
        ["bob"],
        "CLI tests",
    )
    assert "conflict: A responder group named 'cli-reviewers' exists" in admin.fails(
        CONFLICT, "groups", "create", "cli-reviewers"
    )
    assert admin.json("groups", "add-member", "cli-reviewers", "alice")["members"] == ["alice", "bob"]
    assert admin.json("groups", "remove-member", "cli-reviewers", "alice")["members"] == ["bob"]
    assert "not found" in admin.fails(NOT_FOUND, "groups", "remove-member", "cli-reviewers", "alice")
    assert "not allowed" in bob.fails(FORBIDDEN, "groups", "create", "bobs-own")
    listed = bob.json("groups", "list")
    assert "cli-reviewers" in [group["name"] for group in listed["groups"]]
    assert "cli-reviewers" in bob.run("groups", "show", "cli-reviewers", "-o", "table").stdout

    run_id = waiting_request(stack, "hitl_cli_for_group", "group_gate")
    mine = bob.json("list", "--group", "cli-reviewers")["hitl_details"]
    assert run_id in [r["task_instance"]["dag_run_id"] for r in mine]
    assert bob.json("approve", "hitl_cli_for_group", run_id, "group_gate")["responded_by"]["id"] == "bob"

    assert admin.json("groups", "delete", "cli-reviewers") == {"name": "cli-reviewers", "deleted": True}
    assert "not found" in admin.fails(NOT_FOUND, "groups", "show", "cli-reviewers")


class Terminal:
    """A command running on a pseudo-terminal, driven like a person typing."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal, as in a real session
            os.execve(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.transcript = ""
        self.seen = 0  # what earlier expectations matched is not matched again

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # the child closed the terminal (Linux reports EIO)
            return False
        if not chunk:
            return False
        self.transcript += chunk.decode(errors="replace")
        return True

    def expect(self, pattern: str, timeout: float = 60) -> None:
        """Waits until ``pattern`` (a regex) appears after what earlier expectations matched."""
        deadline = time.monotonic() + timeout
        while not (match := re.search(pattern, self.transcript[self.seen :])):
            if time.monotonic() > deadline or not self._read(0.5):
                raise AssertionError(f"{pattern!r} did not appear; the terminal shows:\n{self.transcript}")
        self.seen += match.end()

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\n")

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self._read(0.5) and time.monotonic() < deadline:
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


@on_one_stack()
def test_respond_on_a_terminal_asks_for_the_option_and_each_field(
    stack: AirflowStack, terminal: Callable[[str], CliUser]
) -> None:
    admin = terminal("admin")
    api = stack.client()
    branch_run = waiting_request(stack, "hitl_cli_branch", "route")
    form_run = waiting_request(stack, "hitl_cli_form", "order")

    branch = Terminal([CLI, "respond", "hitl_cli_branch", branch_run, "route", "-o", "table"], admin.env())
    branch.expect(r"Which review\?")
    branch.expect(r"1\. fast\s+2\. thorough")
    branch.expect(r"Option \(number or name\): ")
    branch.type("3")
    branch.expect(r"'3' is neither an option nor a number from 1 to 2")
    branch.expect(r"Option \(number or name\): ")  # typing before the prompt would race the reader
    branch.type("2")
    branch.expect(r"chosen_options\s+\|?\s*thorough")
    assert branch.finish() == 0, branch.transcript

    secret = "s3cret-key-typed"
    form = Terminal([CLI, "respond", "hitl_cli_form", form_run, "order", "-o", "table"], admin.env())
    form.expect(r"Order details")
    form.expect(r"Option \(number or name, Enter for OK\): ")
    form.type("")
    form.expect(r"How many boxes")
    form.expect(r"count \[integer; >= 1; <= 10\] \(default: 3\): ")
    form.type("abc")
    form.expect(r"'abc' is not a valid integer")
    form.expect(r"count \[integer; >= 1; <= 10\] \(default: 3\): ")
    form.type("7")
    form.expect(
        r"speed \[string; one of: standard \(Standard\), express \(Express \(extra cost\)\)\] \(default: standard\): "
    )
    form.type("express")
    form.expect(r"api_key \[string \(password\); at least 8 characters\] \(required\): ")
    form.type("")
    form.expect(r"a value is required")
    # getpass turns echo off and discards what was typed before its prompt: wait for the prompt.
    form.expect(r"api_key \[string \(password\); at least 8 characters\] \(required\): ")
    form.type(secret)
    form.expect(r'labels \[array of string\] \(default: \["fragile"\]\): ')
    form.type("")
    form.expect(r"params_input\.api_key\s+\|?\s*\*\*\*")
    assert form.finish() == 0, form.transcript
    assert secret not in form.transcript, "the password field was echoed or printed"

    api.wait_for_state("hitl_cli_branch", branch_run, "thorough", {"success"})
    api.wait_for_state("hitl_cli_form", form_run, "summary", {"success"})
    # Downstream gets the mask; that the typed secret was recorded is read back by its responder.
    assert api.xcom("hitl_cli_form", form_run, "summary") == {
        "count": 7, "speed": "express", "key_length": len("***")
    }  # fmt: skip
    as_responder = stack.client("admin").get_request("hitl_cli_form", form_run, "order").json()
    assert as_responder["params_input"]["api_key"] == secret
    recorded = api.get_request("hitl_cli_form", form_run, "order").json()
    assert recorded["params_input"]["labels"] == ["fragile"] and recorded["response_channel"] == "cli"


@on_one_stack()
def test_without_a_keyring_the_token_comes_from_the_environment_or_a_private_file(
    stack: AirflowStack, tmp_path: Path
) -> None:
    alice_token = stack.token("alice")
    run_id = waiting_request(stack, "hitl_cli_for_alice", "alice_gate")
    headless = CliUser(stack, tmp_path / "headless", keyring_backend="keyring.backends.fail.Keyring")
    # On a machine without a keyring airflowctl still saves the API URL (and cannot keep the token).
    saved = headless.airflowctl("auth", "login", "--api-url", stack.base_url, "--api-token", alice_token)
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert not headless.keyring_file.exists()

    error = headless.fails(NOT_LOGGED_IN, "list")
    assert "no keyring service" in error and "AIRFLOW_CLI_TOKEN" in error

    def my_runs(**env: str) -> set[str]:
        result = headless.run("list", "-o", "json", **env)
        assert result.returncode == 0, result.stderr
        return {r["task_instance"]["dag_run_id"] for r in json.loads(result.stdout)["hitl_details"]}

    assert run_id in my_runs(AIRFLOW_CLI_TOKEN=alice_token)

    token_file = tmp_path / "alice.token"
    token_file.write_text(alice_token + "\n")
    token_file.chmod(0o644)
    error = headless.fails(NOT_LOGGED_IN, "list", AIRFLOW_CLI_TOKEN_FILE=str(token_file))
    assert "is accessible by other users" in error and "chmod 600" in error
    token_file.chmod(0o600)
    assert run_id in my_runs(AIRFLOW_CLI_TOKEN_FILE=str(token_file))
