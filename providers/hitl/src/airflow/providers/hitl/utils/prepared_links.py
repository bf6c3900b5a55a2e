"""Prepared links for notifications: open a waiting request, or answer it with one click.

A HITL operator puts a :class:`PreparedLinks` into the context it calls its notifiers with, as
``context["hitl_links"]``, so notifier templates can write::

    <a href="{{ hitl_links.open }}">Open the request</a>
    <a href="{{ hitl_links.action('Approve') }}">Approve</a>
    <a href="{{ hitl_links.action('Publish', params_input={'channel': 'web'}) }}">Publish to the web</a>

and a notifier written in Python can call :func:`links_from_context`. Links made from
``hitl_links`` itself are made for nobody: sent to a group, they answer only after one more click
on the link page. ``hitl_links.for_user("ann")`` makes links that answer for the user ``ann`` only,
at once; :class:`~airflow.providers.hitl.notifications.per_recipient.PerRecipientNotifier` sends
each recipient a notification of their own with such links. Each link carries a fresh random token; the task sends only the token's digest to the server (in its trigger's kwargs), so
a link works only for this task try's request, and only for what it says (see
``docs/notifications.md``). Links must therefore be made before the task defers: in notifiers.

With ``[hitl] prepared_links_enabled`` off, both kinds of link are the plain address of the
request in the Required Actions app (no token, no one-click answer), so a DAG's notifications
work in every deployment.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow.hitl.config import HITLSettings, get_settings
from airflow.hitl.prepared_links import (
    ACTION_OPEN,
    ACTION_RESPOND,
    LinkRegistration,
    LinkTarget,
    PreparedLink,
    link_url,
    request_view_path,
)
from airflow.hitl.request import HITLDefinitionError, snapshot_of, validate_answer
from airflow.utils import timezone

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow.sdk.definitions.context import Context

LINKS_CONTEXT_KEY = "hitl_links"
# The rendered request (subject, body, options, ..., deadline), next to the links in the context.
REQUEST_CONTEXT_KEY = "hitl_request"


class PreparedLinks:
    """
    Links to one task try's request, for notifiers and their templates.

    :param dag_id, run_id, task_id, map_index, try_number: the task try that asks.
    :param request: the request as the trigger carries it (``options``, ``multiple``, ``params``);
        action links are checked against it when they are made, so a misspelt option fails the
        notification, not the click.
    :param deadline: the request's deadline; no link outlives it.
    :param settings: the ``[hitl]`` settings (read from Airflow's configuration when omitted).
    :param recipient: the user id the links are made for (see :meth:`for_user`); ``None``: nobody.
    """

    def __init__(
        self,
        *,
        dag_id: str,
        run_id: str,
        task_id: str,
        map_index: int,
        try_number: int,
        request: Mapping[str, Any],
        deadline: datetime | None = None,
        settings: HITLSettings | None = None,
        now: datetime | None = None,
        recipient: str | None = None,
    ) -> None:
        self.dag_id = dag_id
        self.run_id = run_id
        self.task_id = task_id
        self.map_index = map_index
        self.try_number = try_number
        self._snapshot = snapshot_of(request)
        self.deadline = deadline
        self._settings = settings or get_settings()
        self._now = now or timezone.utcnow()
        self.recipient = recipient
        self._links: dict[str, PreparedLink] = {}
        self._sealed = False
        self._of: PreparedLinks = self  # the links of all recipients are registered together

    def for_user(self, user_id: str) -> PreparedLinks:
        """
        The same request's links, made for the user ``user_id`` (the auth manager's user id):
        they act for that user only, and answer on the first click. Others who open such a link
        are told whom it was for.
        """
        if not isinstance(user_id, str) or not user_id:
            raise HITLDefinitionError(
                f"Prepared links of HITL task {self.task_id!r}: a user id is a non-empty string"
            )
        links = copy.copy(self)
        links.recipient = user_id
        links._of = self._of
        return links

    @property
    def enabled(self) -> bool:
        """Whether links carry tokens (``[hitl] prepared_links_enabled``); templates may branch on it."""
        return self._settings.prepared_links_enabled

    @property
    def view(self) -> str:
        """The request's page in the Required Actions app (needs a login, carries no token)."""
        path = request_view_path(self.dag_id, self.run_id, self.task_id, self.map_index)
        return f"{self._settings.prepared_link_base_url}{path}"

    @property
    def open(self) -> str:
        """A link that opens the request for a logged-in user."""
        return self.open_link()

    def open_link(self, *, expires_in: timedelta | None = None) -> str:
        """:attr:`open`, with a shorter lifetime than the default if wanted."""
        if not self.enabled:
            return self.view
        return self._mint(ACTION_OPEN, None, None, expires_in)

    def action(
        self,
        *options: str,
        params_input: Mapping[str, Any] | None = None,
        expires_in: timedelta | None = None,
    ) -> str:
        """
        A link that answers the request with ``options`` (and ``params_input``) in one click.

        :param options: the option(s) chosen, e.g. ``"Approve"``.
        :param params_input: preset form values; fields left out take their defaults.
        :param expires_in: a shorter lifetime than the default (the deadline, or
            ``[hitl] prepared_link_max_lifetime_seconds``).
        :raises HITLDefinitionError: the answer would be refused (unknown option, too many,
            invalid or missing form values).
        """
        errors, _ = validate_answer(self._snapshot, list(options), params_input)
        if errors:
            raise HITLDefinitionError(
                f"Prepared link for HITL task {self.task_id!r}: the answer would be refused: "
                f"{errors.describe()}"
            )
        if not self.enabled:
            return self.view
        return self._mint(
            ACTION_RESPOND,
            tuple(options),
            dict(params_input) if params_input is not None else None,
            expires_in,
        )

    def registrations(self) -> list[LinkRegistration]:
        """What the trigger carries for the links made so far, for every recipient (digests only);
        no links after this."""
        self._of._sealed = True
        return [link.registration() for link in self._of._links.values()]

    def _expires_at(self, expires_in: timedelta | None) -> int:
        limits = [self._now + timedelta(seconds=self._settings.prepared_link_max_lifetime_seconds)]
        if self.deadline is not None:
            limits.append(self.deadline)
        if expires_in is not None:
            limits.append(self._now + expires_in)
        return int(min(limits).timestamp())

    def _mint(
        self,
        action: str,
        options: tuple[str, ...] | None,
        params_input: dict[str, Any] | None,
        expires_in: timedelta | None,
    ) -> str:
        target = LinkTarget(
            dag_id=self.dag_id,
            run_id=self.run_id,
            task_id=self.task_id,
            map_index=self.map_index,
            try_number=self.try_number,
            action=action,
            expires_at=self._expires_at(expires_in),
            chosen_options=options,
            params_input=params_input,
            recipient=self.recipient,
        )
        # The same link asked for twice (a template naming it in two places) is one link.
        key = target.canonical().decode()
        minted = self._of._links
        if key not in minted:
            if self._of._sealed:
                raise RuntimeError(
                    f"HITL task {self.task_id!r} has deferred already: prepared links can only be made "
                    "before that, in the task's notifiers"
                )
            minted[key] = PreparedLink.mint(target)
        return link_url(self._settings.prepared_link_base_url, minted[key])

    def __repr__(self) -> str:
        to = f" for={self.recipient}" if self.recipient is not None else ""
        return f"<PreparedLinks {self.dag_id}.{self.task_id} run={self.run_id} try={self.try_number}{to}>"


def links_for_task(context: Context, request: Mapping[str, Any], deadline: datetime | None) -> PreparedLinks:
    """The links of the request the context's task try is about to defer with."""
    ti = context["ti"]
    return PreparedLinks(
        dag_id=ti.dag_id,
        run_id=ti.run_id,
        task_id=ti.task_id,
        map_index=ti.map_index if ti.map_index is not None else -1,
        try_number=ti.try_number,
        request=request,
        deadline=deadline,
    )


def links_from_context(context: Context | Mapping[str, Any]) -> PreparedLinks:
    """The prepared links of the request a HITL operator's notifier is called for."""
    links = context.get(LINKS_CONTEXT_KEY)
    if not isinstance(links, PreparedLinks):
        raise LookupError(
            f"No prepared links in this context: {LINKS_CONTEXT_KEY!r} is set only for the notifiers of "
            "HITL operators (notifiers=[...])"
        )
    return links
