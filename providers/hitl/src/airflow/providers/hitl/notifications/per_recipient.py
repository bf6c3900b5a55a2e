"""One notification per recipient, each with prepared links made for that recipient alone.

A link made for a user answers for that user only (see ``docs/notifications.md``), so a mail
forwarded to somebody else, or read from a shared mailbox, answers nothing for them. Wrap any
Airflow notifier::

    PerRecipientNotifier(
        SmtpNotifier(
            to="{{ hitl_recipient.address }}",
            from_email="airflow@example.com",
            subject="Approval needed: {{ hitl_request.subject }}",
            html_content='<a href="{{ hitl_links.action(\"Approve\") }}">Approve</a>',
        ),
        recipients={"ann": "ann@example.com", "bob": "bob@example.com"},
    )

For each recipient the wrapped notifier is called on a copy of itself, with ``hitl_links`` made for
that user and ``hitl_recipient`` (``{"id": ..., "address": ...}``) in its context.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import TYPE_CHECKING, Any

from airflow.hitl.request import HITLDefinitionError
from airflow.providers.hitl.utils.prepared_links import LINKS_CONTEXT_KEY, links_from_context
from airflow.sdk.bases.notifier import BaseNotifier

if TYPE_CHECKING:
    from collections.abc import Mapping

    from airflow.sdk.definitions.context import Context

RECIPIENT_CONTEXT_KEY = "hitl_recipient"


class PerRecipientNotifier(BaseNotifier):
    """
    Call ``notifier`` once per recipient, with that recipient's own prepared links.

    Only for the notifiers of HITL operators (``notifiers=[...]``), where ``hitl_links`` exists.

    :param notifier: the notifier to send each notification with (templated as usual; it is
        rendered once per recipient, on a copy).
    :param recipients: user id (the auth manager's, as in ``assigned_users``) -> the address to
        send to (a mail address, a chat handle: whatever ``notifier`` needs). Templated: a dict
        (its values are rendered), or a template that renders to a JSON object
        (``"{{ dag_run.conf['approvers'] | tojson }}"``).
    """

    template_fields = ("recipients",)

    def __init__(self, notifier: BaseNotifier, *, recipients: Mapping[str, str] | str) -> None:
        super().__init__()
        if not isinstance(notifier, BaseNotifier):
            raise HITLDefinitionError(f"PerRecipientNotifier wraps an Airflow notifier, not {notifier!r}")
        self.notifier = notifier
        self.recipients = recipients

    def __call__(self, *args: Any) -> None:
        # BaseNotifier logs and drops an error of notify(); here it would be a template's mistake
        # (an unknown option in hitl_links.action(...)), which must fail the task as it does for a
        # notifier used directly. Failures to send are still only logged, by each copy.
        (context,) = args
        self._update_context(context)
        self.render_template_fields(context)
        self.notify(context)

    def notify(self, context: Context) -> None:
        links = links_from_context(context)
        recipients: Any = self.recipients
        if isinstance(recipients, str):  # a template rendered to JSON, e.g. "{{ ... | tojson }}"
            with contextlib.suppress(ValueError):
                recipients = json.loads(recipients)
        if not isinstance(recipients, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in recipients.items()
        ):
            raise HITLDefinitionError(
                f"PerRecipientNotifier of HITL task {links.task_id!r}: recipients must map user ids "
                f"to addresses, got {recipients!r}"
            )
        for user_id, address in recipients.items():
            personal: dict[str, Any] = dict(context)
            personal[LINKS_CONTEXT_KEY] = links.for_user(user_id)
            personal[RECIPIENT_CONTEXT_KEY] = {"id": user_id, "address": address}
            copy.deepcopy(self.notifier)(personal)
