"""Where the API URL and the token come from.

The URL is the one ``airflowctl auth login`` saved (``$AIRFLOW_HOME/<env>.json``, else
``~/airflow/<env>.json``). The token, in this order:

1. ``AIRFLOW_CLI_TOKEN`` (airflowctl's own variable), for CI jobs that hold a token as a secret;
2. ``AIRFLOW_CLI_TOKEN_FILE``: a file holding only the token, readable by its owner alone;
3. the token airflowctl stored in the system keyring (or, with ``AIRFLOW_CLI_DEBUG_MODE=true``,
   in airflowctl's plain-text debug file).

1 and 2 are for machines without a keyring service (headless servers, CI), where airflowctl's
stored login cannot work.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from keyring.errors import KeyringError

from airflowctl.api.client import ClientKind, Credentials
from airflowctl.exceptions import AirflowCtlCredentialNotFoundException
from airflowctl.hitl.errors import CLIError, ExitCode

TOKEN_ENV = "AIRFLOW_CLI_TOKEN"
TOKEN_FILE_ENV = "AIRFLOW_CLI_TOKEN_FILE"


@dataclass(frozen=True)
class Login:
    """What a command needs to call the API: the server's URL and a bearer token."""

    api_url: str
    token: str
    source: str  # where the token came from, for messages


def read_token_file(path: Path) -> str:
    """
    The token in ``path``; refused unless only its owner (the current user) may read it, as ssh does
    with private keys: a token that others can read is a login that others can use.
    """
    try:
        info = path.stat()
    except OSError as err:
        raise CLIError(
            f"{TOKEN_FILE_ENV}: cannot read {path}: {err.strerror}", ExitCode.NOT_LOGGED_IN
        ) from err
    if info.st_uid != os.getuid():
        raise CLIError(
            f"{TOKEN_FILE_ENV}: {path} belongs to another user; use a token file of your own",
            ExitCode.NOT_LOGGED_IN,
        )
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CLIError(
            f"{TOKEN_FILE_ENV}: {path} is accessible by other users (mode {stat.filemode(info.st_mode)}); "
            f"run `chmod 600 {path}`",
            ExitCode.NOT_LOGGED_IN,
        )
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise CLIError(f"{TOKEN_FILE_ENV}: {path} is empty", ExitCode.NOT_LOGGED_IN)
    return token


def load_login(environment: str | None = None) -> Login:
    """The API URL airflowctl saved and a token (see the module docstring for the order)."""
    env_token = os.environ.get(TOKEN_ENV, "").strip()
    token_file = os.environ.get(TOKEN_FILE_ENV, "").strip()
    explicit = None
    if env_token:
        explicit = (env_token, TOKEN_ENV)
    elif token_file:
        explicit = (read_token_file(Path(token_file).expanduser()), f"{TOKEN_FILE_ENV} ({token_file})")

    credentials = Credentials(client_kind=ClientKind.CLI, api_environment=environment or "production")
    try:
        credentials.load()
    except AirflowCtlCredentialNotFoundException as err:
        raise CLIError(
            f"not logged in ({err}); run `airflowctl auth login --api-url <URL> --username <USER>` first",
            ExitCode.NOT_LOGGED_IN,
        ) from err
    except KeyringError as err:
        # Credentials.load reads the URL file before it asks the keyring, so the URL is known here;
        # without a keyring only an explicit token can log in.
        if explicit is None:
            raise CLIError(
                f"no keyring service to read airflowctl's login from ({type(err).__name__}); "
                f"set {TOKEN_ENV} or {TOKEN_FILE_ENV} (see docs/cli.md, 'Machines without a keyring')",
                ExitCode.NOT_LOGGED_IN,
            ) from err
    if not credentials.api_url:
        raise CLIError(
            "airflowctl's login holds no API URL; run `airflowctl auth login --api-url <URL>`",
            ExitCode.NOT_LOGGED_IN,
        )
    if explicit is not None:
        token, source = explicit
    elif credentials.api_token:
        token, source = credentials.api_token, "airflowctl's stored login"
    else:
        raise CLIError(
            "airflowctl's login holds no token; run `airflowctl auth login` again", ExitCode.NOT_LOGGED_IN
        )
    return Login(api_url=credentials.api_url.rstrip("/"), token=token, source=source)
