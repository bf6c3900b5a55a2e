"""Prepared links: what a link does, its token, and how both are written into one URL segment.

Pure functions, no database: the provider mints links in the worker (``airflow.providers.hitl.utils.
prepared_links``), the API server checks them (:mod:`airflow.hitl.services.prepared_links`). See
``contributing-docs/architecture.md``, "Prepared links", for why the design is what it is.

A link is ``<base_url>/hitl/links/<payload>.<token>``:

* ``payload`` is the base64url form (no padding) of the canonical JSON of a :class:`LinkTarget`:
  the task try the link belongs to, what it does (``open`` the request, or ``respond`` with given
  options and form values), when it expires and whom it was made for (a user id, or nobody for a
  link sent to a channel). Only the canonical encoding is accepted, so a link cannot be written
  two ways.
* ``token`` is 32 random bytes (base64url). The worker sends the server only the
  :attr:`PreparedLink.digest`, an HMAC-SHA256 of the canonical payload keyed with the token. The
  digest binds the token to every field: change any character of the link and its digest is one
  the server never stored. The server stores digests only; a database reader cannot rebuild a
  link from them.

The link is one path segment of URL-safe characters on purpose: Airflow 3.0's login hands the
``next`` URL on without re-encoding it, so a ``&`` or ``#`` in a link would be lost on the way
back from the login page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import quote

from airflow.hitl.json_limits import json_problem

if TYPE_CHECKING:
    from collections.abc import Mapping

# Version 2 added the recipient (``to``); version 1 links (no recipient) are still read.
LINK_VERSION = 2
ACTION_OPEN = "open"
ACTION_RESPOND = "respond"
ACTIONS = (ACTION_OPEN, ACTION_RESPOND)

LINKS_PATH = "/hitl/links"
TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]+$")
# Larger links do not fit the URL limits of mail clients and servers; presets are meant to be small.
MAX_LINK_CHARS = 4000
# A user id as Airflow's tables store it (``ID_LEN``).
MAX_RECIPIENT_CHARS = 250
_FIELDS_V1 = frozenset(
    {"v", "dag_id", "run_id", "task_id", "map_index", "try_number", "action", "options", "params", "exp"}
)
_FIELDS = {1: _FIELDS_V1, 2: _FIELDS_V1 | {"to"}}


class InvalidLink(ValueError):
    """The text is not a well-formed prepared link (garbled, truncated or hand-made)."""


def _refuse_constant(name: str) -> Any:
    raise InvalidLink(f"{name} is not a JSON value")


def _canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode()


@dataclass(frozen=True)
class LinkTarget:
    """
    What a link does: one task try's request, the action, and until when.

    :param action: ``open`` (show the request) or ``respond`` (answer it with ``chosen_options``
        and ``params_input``).
    :param expires_at: Unix time (whole seconds, UTC) from which the link is refused.
    :param recipient: the user id the link was made for: it acts for that user only. ``None``: a
        link sent to a channel (a list, a chat room), which acts only after an explicit click.
    :param version: the payload format; links are made in the newest, older ones are still read.
    """

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    try_number: int
    action: str
    expires_at: int
    chosen_options: tuple[str, ...] | None = None
    params_input: Mapping[str, Any] | None = field(default=None, hash=False)
    recipient: str | None = None
    version: int = LINK_VERSION

    def __post_init__(self) -> None:
        if self.version not in _FIELDS:
            raise InvalidLink(f"unknown link version {self.version!r}")
        if self.version == 1 and self.recipient is not None:
            raise InvalidLink("a version 1 link has no recipient")
        if self.recipient is not None and not 0 < len(self.recipient) <= MAX_RECIPIENT_CHARS:
            raise InvalidLink(f"a recipient is a user id of 1 to {MAX_RECIPIENT_CHARS} characters")
        if self.action not in ACTIONS:
            raise InvalidLink(f"unknown link action {self.action!r}")
        if self.action == ACTION_RESPOND and not self.chosen_options:
            raise InvalidLink("a respond link needs at least one option")
        if self.action == ACTION_OPEN and (self.chosen_options is not None or self.params_input is not None):
            raise InvalidLink("an open link carries no answer")

    def as_dict(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "v": self.version,
            "dag_id": self.dag_id,
            "run_id": self.run_id,
            "task_id": self.task_id,
            "map_index": self.map_index,
            "try_number": self.try_number,
            "action": self.action,
            "options": list(self.chosen_options) if self.chosen_options is not None else None,
            "params": dict(self.params_input) if self.params_input is not None else None,
            "exp": self.expires_at,
        }
        if self.version >= 2:
            fields["to"] = self.recipient
        return fields

    def canonical(self) -> bytes:
        """The exact bytes the digest covers (and the link's payload encodes)."""
        return _canonical_json(self.as_dict())

    @property
    def task(self) -> tuple[str, str, str, int]:
        return (self.dag_id, self.run_id, self.task_id, self.map_index)

    @property
    def expiry(self) -> datetime:
        return datetime.fromtimestamp(self.expires_at, tz=UTC)

    @classmethod
    def from_dict(cls, data: Any) -> LinkTarget:
        """Strictly typed: anything but exactly the fields of a known version is refused."""
        version = data.get("v") if isinstance(data, dict) else None
        if (
            not isinstance(version, int)
            or isinstance(version, bool)
            or version not in _FIELDS
            or set(data) != _FIELDS[version]
        ):
            raise InvalidLink("not a prepared link of a known version")
        for name in ("dag_id", "run_id", "task_id", "action"):
            if not isinstance(data[name], str) or not data[name]:
                raise InvalidLink(f"{name} must be a non-empty string")
        for name in ("map_index", "try_number", "exp"):
            if not isinstance(data[name], int) or isinstance(data[name], bool):
                raise InvalidLink(f"{name} must be an integer")
        options = data["options"]
        if options is not None and (
            not isinstance(options, list) or not all(isinstance(o, str) for o in options)
        ):
            raise InvalidLink("options must be a list of strings")
        params = data["params"]
        if params is not None and not isinstance(params, dict):
            raise InvalidLink("params must be an object")
        if params is not None and (problem := json_problem(params)):
            raise InvalidLink(f"params: {problem.message}")
        recipient = data.get("to")
        if recipient is not None and not isinstance(recipient, str):
            raise InvalidLink("to must be a user id")
        return cls(
            dag_id=data["dag_id"],
            run_id=data["run_id"],
            task_id=data["task_id"],
            map_index=data["map_index"],
            try_number=data["try_number"],
            action=data["action"],
            expires_at=data["exp"],
            chosen_options=tuple(options) if options is not None else None,
            params_input=params,
            recipient=recipient,
            version=version,
        )


def digest_of(target: LinkTarget, token: str) -> str:
    """HMAC-SHA256 of the target's canonical bytes keyed with the token (hex, 64 characters)."""
    return hmac.new(token.encode("ascii"), target.canonical(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PreparedLink:
    """A target and the random token that proves the link was made by the task that asks."""

    target: LinkTarget
    token: str

    @classmethod
    def mint(cls, target: LinkTarget) -> PreparedLink:
        return cls(target, secrets.token_urlsafe(TOKEN_BYTES))

    @property
    def digest(self) -> str:
        return digest_of(self.target, self.token)

    def encode(self) -> str:
        """The link's last path segment: ``<payload>.<token>``."""
        payload = base64.urlsafe_b64encode(self.target.canonical()).rstrip(b"=").decode("ascii")
        return f"{payload}.{self.token}"

    @classmethod
    def decode(cls, text: str) -> PreparedLink:
        """Parse a link segment; :class:`InvalidLink` unless it is exactly what :meth:`encode` makes."""
        if len(text) > MAX_LINK_CHARS or text.count(".") != 1:
            raise InvalidLink("not a prepared link")
        payload, token = text.split(".")
        if not _TOKEN.match(token) or not _PAYLOAD.match(payload):
            raise InvalidLink("not a prepared link")
        try:
            raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
            target = LinkTarget.from_dict(json.loads(raw, parse_constant=_refuse_constant))
        except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as err:
            # RecursionError: nesting deeper than the parser goes; links are never made so.
            raise InvalidLink(f"not a prepared link: {type(err).__name__}") from None
        link = cls(target, token)
        # One spelling per link: re-ordered keys, extra spaces or different base64 tail bits are
        # refused, so no character of a link can change without the link being refused.
        if link.encode() != text:
            raise InvalidLink("not a prepared link (not in canonical form)")
        return link

    def registration(self) -> LinkRegistration:
        """What the trigger carries to the server for this link: its digest, never its token."""
        return {
            "digest": self.digest,
            "action": self.target.action,
            "chosen_options": list(self.target.chosen_options)
            if self.target.chosen_options is not None
            else None,
            "params_input": dict(self.target.params_input) if self.target.params_input is not None else None,
            "exp": self.target.expires_at,
            "recipient": self.target.recipient,
        }


class LinkRegistration(TypedDict):
    """
    One link as the worker registers it with the server: made by :meth:`PreparedLink.registration`
    in the worker, carried in ``HITLTrigger``'s ``links`` kwarg, read back by
    :func:`registration_of` on the server. Everything but the token.
    """

    digest: str
    action: str
    chosen_options: list[str] | None
    params_input: dict[str, Any] | None
    exp: int
    recipient: str | None


_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def registration_of(entry: Any) -> LinkRegistration:
    """
    ``entry`` checked to be a :class:`LinkRegistration` (the trigger's kwargs are data from a
    worker). Registrations of older workers have no ``recipient``: they were made for nobody.

    :raises ValueError: a field is missing or of the wrong type.
    """
    if not isinstance(entry, dict):
        raise ValueError("a link registration is an object")
    digest, action, options, params, exp = (
        entry.get(name) for name in ("digest", "action", "chosen_options", "params_input", "exp")
    )
    recipient = entry.get("recipient")
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ValueError("digest must be 64 lower-case hex characters")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if options is not None and not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
        raise ValueError("chosen_options must be a list of strings")
    if params is not None and not isinstance(params, dict):
        raise ValueError("params_input must be an object")
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise ValueError("exp must be an integer")
    if recipient is not None and not (
        isinstance(recipient, str) and 0 < len(recipient) <= MAX_RECIPIENT_CHARS
    ):
        raise ValueError("recipient must be a user id")
    return {
        "digest": digest,
        "action": action,
        "chosen_options": options,
        "params_input": params,
        "exp": exp,
        "recipient": recipient,
    }


def link_url(base_url: str, link: PreparedLink) -> str:
    return f"{base_url.rstrip('/')}{LINKS_PATH}/{link.encode()}"


def request_view_path(dag_id: str, run_id: str, task_id: str, map_index: int) -> str:
    """Path (below Airflow's base URL) of the Required Actions view of one task's request."""
    return (
        f"/required_actions/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
        f"/tasks/{quote(task_id, safe='')}/{map_index}"
    )
