"""A keyring backend storing passwords in a JSON file (``FILE_KEYRING_PATH``), for tests only.

Test machines have no keyring service; ``PYTHON_KEYRING_BACKEND=file_keyring.FileKeyring`` (with
this folder on ``PYTHONPATH``) lets ``airflowctl auth login`` store its token as it would in a
desktop keyring, so the stored-login path is tested end to end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    """Passwords in one JSON file, ``{"service/username": password}``, mode 0600."""

    priority = 1  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return Path(os.environ["FILE_KEYRING_PATH"])

    def _read(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def _write(self, entries: dict[str, str]) -> None:
        self.path.touch(mode=0o600, exist_ok=True)
        self.path.write_text(json.dumps(entries))

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        if password is None:
            raise TypeError("a password is required")  # as real backends do; airflowctl relies on it
        entries = self._read()
        entries[f"{service}/{username}"] = password
        self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._read()
        if entries.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError(username)
        self._write(entries)
