"""``HITLTrigger``: what a waiting human-in-the-loop task defers on."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async

from airflow.hitl.config import get_settings
from airflow.hitl.events import TRIGGER_CLASSPATH, timeout_event
from airflow.hitl.request import default_answer, sensitive_values, snapshot_of
from airflow.sdk.execution_time.secrets_masker import mask_secret
from airflow.triggers.base import BaseTrigger, TriggerEvent
from airflow.utils import timezone

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence
    from datetime import datetime

    from airflow.hitl.request import RequestSpec


class HITLTrigger(BaseTrigger):
    """
    Carries a human-in-the-loop request and fires only for its deadline.

    Answers never pass through the trigger: the API server resumes the task directly with
    ``Trigger.submit_event``. So the trigger does no work while it waits (it does not poll); it
    sleeps until the deadline (plus a short grace, see :mod:`airflow.hitl.config`) and then fires
    a timeout event carrying the defaults, or never fires when there is no deadline.

    :param request: subject, body, options, defaults, multiple, params, assigned users and groups.
        Defaults of sensitive form fields travel here as given (the timeout event applies them), so
        they sit in Airflow's ``trigger`` table; the trigger hides them from the log when it fires.
    :param deadline: when the defaults apply; None waits for a person however long it takes.
    :param try_number: the task try that asks (carried into the timeout event).
    :param links: digests of the prepared links the task's notifiers sent (never the links'
        tokens); the API server's registry stores them with the request (see
        :mod:`airflow.providers.hitl.utils.prepared_links`).
    """

    def __init__(
        self,
        *,
        request: RequestSpec,
        deadline: datetime | None = None,
        try_number: int | None = None,
        links: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.request = request
        self.deadline = deadline
        self.try_number = try_number
        self.links = list(links or [])

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return TRIGGER_CLASSPATH, {
            "request": self.request,
            "deadline": self.deadline,
            "try_number": self.try_number,
            "links": self.links,
        }

    async def run(self) -> AsyncIterator[TriggerEvent]:
        if self.deadline is None:
            await asyncio.Event().wait()  # only the API server ends this wait
            return
        fire_at = self.deadline.timestamp() + get_settings().timeout_grace_seconds
        await asyncio.sleep(max(0.0, fire_at - timezone.utcnow().timestamp()))
        snapshot = snapshot_of(self.request)
        answer = default_answer(snapshot, self.request.get("defaults"))
        # The triggerer logs the event it fires into the task's log: hide sensitive defaults there.
        for value in sensitive_values(snapshot["params"], answer["params_input"]):
            await sync_to_async(mask_secret)(value)
        yield TriggerEvent(
            timeout_event(request=snapshot, deadline=self.deadline, try_number=self.try_number, **answer)
        )
