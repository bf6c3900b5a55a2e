"""The resume events a waiting HITL task receives (``execute_complete(context, event)``).

Built here only, for both ways a request ends: a person's answer (sent by the API server through
``Trigger.submit_event``) and the deadline (fired by ``HITLTrigger`` in the triggerer). Each carries
the try it answers: Airflow 3.0 starts a retry with the previous try's resume data, and the
operator must not take that old answer for the new try's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.hitl.request import mask_param_defaults

if TYPE_CHECKING:
    from datetime import datetime

TRIGGER_CLASSPATH = "airflow.providers.hitl.triggers.hitl.HITLTrigger"
# The XCom a HITL task pushes before it defers: its request, for the server to record even when
# no API server ran while the try waited (see ``airflow.hitl.services.recovery``).
REQUEST_XCOM_KEY = "hitl_request"

KIND_RESPONSE = "response"
KIND_TIMEOUT = "timeout"


def response_event(
    *,
    request: Mapping[str, Any],
    chosen_options: Sequence[str],
    params_input: Mapping[str, Any],
    responded_at: datetime,
    responded_by_user: Mapping[str, str],
    channel: str,
    try_number: int | None = None,
    comment: str | None = None,
    votes: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """
    The event for a person's answer; ``request`` is the snapshot it was validated against. With a
    quorum, ``votes`` holds every vote (the answer is the one that completed it).
    """
    return {
        "kind": KIND_RESPONSE,
        "try_number": try_number,
        "timed_out": False,
        "chosen_options": list(chosen_options),
        "params_input": dict(params_input),
        "responded_at": responded_at.isoformat(),
        "responded_by_user": dict(responded_by_user),
        "channel": channel,
        "comment": comment,
        "votes": [dict(vote) for vote in votes],
        "request": dict(request),
    }


def timeout_event(
    *,
    request: Mapping[str, Any],
    chosen_options: Sequence[str],
    params_input: Mapping[str, Any],
    deadline: datetime,
    try_number: int | None = None,
) -> dict[str, Any]:
    """The event fired at the deadline, carrying the defaults to apply (none: the task fails)."""
    return {
        "kind": KIND_TIMEOUT,
        "try_number": try_number,
        "timed_out": True,
        "chosen_options": list(chosen_options),
        "params_input": dict(params_input),
        "responded_at": deadline.isoformat(),
        "responded_by_user": None,
        "channel": "timeout",
        "comment": None,
        "request": dict(request),
    }


def asked_record(
    *, request: Mapping[str, Any], deadline: datetime | None, try_number: int, ti_id: str, asked_at: datetime
) -> dict[str, Any]:
    """The XCom ``hitl_request``: what the try asked (sensitive form values masked) and when."""
    return {
        "request": {**request, "params": mask_param_defaults(request.get("params") or {})},
        "deadline": deadline.isoformat() if deadline else None,
        "try_number": try_number,
        "ti_id": ti_id,
        "asked_at": asked_at.isoformat(),
    }


def is_timeout_event(payload: Any) -> bool:
    return isinstance(payload, Mapping) and payload.get("kind") == KIND_TIMEOUT
