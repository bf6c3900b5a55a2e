"""Prepared links on the server: check a link, then open the request or answer it.

The link's digest must be one the request's own task try registered
(:mod:`airflow.hitl.services.prepared_link_tokens`). Answering goes through :func:`respond_to_request`, like
every other channel, with the channel ``link``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from airflow.hitl.prepared_links import ACTION_OPEN, InvalidLink, LinkTarget, PreparedLink, request_view_path
from airflow.hitl.models import HITLDetail, HITLLinkToken, HITLStatus, ResponseChannel
from airflow.hitl.services.errors import (
    HITLServiceError,
    InvalidOptions,
    InvalidParams,
    NotAllowed,
    RequestClosed,
    RequestNotFound,
)
from airflow.hitl.services.prepared_link_tokens import link_expiry, link_mismatch
from airflow.hitl.services.permissions import can_access_dag
from airflow.hitl.services.requests import sync_task
from airflow.hitl.services.respond import closed_reason, respond_to_request
from airflow.models.taskinstance import TaskInstance as TI
from airflow.utils import timezone as airflow_timezone
from airflow.utils.state import TaskInstanceState

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
    from airflow.hitl.config import HITLSettings

log = logging.getLogger(__name__)

OPENED = "opened"
ANSWERED = "answered"
REFUSED = "refused"
NOT_READY = "not_ready"

INVALID_MESSAGE = (
    "It was changed after it was sent, cut off, or not made by Airflow for this request. "
    "Nothing was done. Open the request in Airflow instead."
)


@dataclass
class LinkResult:
    """What opening or using a link came to, in words for the person who clicked it."""

    outcome: str  # opened, answered, refused or not_ready
    status_code: int
    title: str
    message: str
    request: HITLDetail | None = None
    redirect: str | None = None


def refused(status_code: int, title: str, message: str, request: HITLDetail | None = None) -> LinkResult:
    return LinkResult(REFUSED, status_code, title, message, request=request)


def use_link(
    session: Session, text: str, user: BaseUser, settings: HITLSettings, now: datetime | None = None
) -> LinkResult:
    """
    Check the link ``text`` (``<payload>.<token>``) and do what it says for ``user``.

    An ``open`` link answers with the path of the request's view (it may be opened any number of
    times until it expires); a ``respond`` link answers the request through
    :func:`respond_to_request` and is used up once the answer is recorded. Anything else changes
    nothing and says why. The request is described only to users who may read its DAG.
    """
    result = _use_link(session, text, user, settings, now)
    if result.request is not None and not can_access_dag(user, result.request.dag_id, "GET"):
        result.request = None
    return result


def _use_link(
    session: Session, text: str, user: BaseUser, settings: HITLSettings, now: datetime | None
) -> LinkResult:
    if not settings.prepared_links_enabled:
        return refused(
            403,
            "Prepared links are turned off",
            "This Airflow does not accept links from notifications. Nothing was done. "
            "Open the request in Airflow instead.",
        )
    try:
        link = PreparedLink.decode(text)
    except InvalidLink:
        return refused(400, "This link is not valid", INVALID_MESSAGE)
    target = link.target
    sync_task(session, target.task)  # registers a just-deferred request and its links
    found = session.execute(
        select(HITLLinkToken, HITLDetail)
        .join(HITLDetail, HITLLinkToken.request_id == HITLDetail.id)
        .where(HITLLinkToken.token_hash == link.digest)
    ).first()
    if found is None:
        if _still_asking(session, target) and can_access_dag(user, target.dag_id, "GET"):
            # The notification can arrive before the task has deferred (it is sent just before).
            return LinkResult(
                NOT_READY,
                409,
                "This request is not ready yet",
                "The task is still sending its notifications. Trying again in a moment…",
            )
        return refused(404, "This link is not valid", INVALID_MESSAGE)
    token, request = found
    mismatch = link_mismatch(target, token, request)
    if mismatch:
        log.warning("Refused a prepared link for %r: %s", request, mismatch)
        return refused(404, "This link is not valid", INVALID_MESSAGE)
    now = now or airflow_timezone.utcnow()
    expiry = link_expiry(token, settings)
    if now >= expiry:
        return refused(
            410,
            "This link has expired",
            f"It was valid until {expiry.isoformat()}. Nothing was done. Open the request in Airflow instead.",
            request,
        )
    if target.action == ACTION_OPEN:
        if not can_access_dag(user, request.dag_id, "GET"):
            return refused(
                403,
                "You may not see this request",
                f"Your account cannot read DAG '{request.dag_id}'.",
            )
        view = request_view_path(request.dag_id, request.run_id, request.task_id, request.map_index)
        return LinkResult(OPENED, 200, "Opening the request", request.subject, request=request, redirect=view)
    if token.used_at is not None:
        detail = (
            f" (The request was {closed_reason(request)}.)" if request.status != HITLStatus.PENDING else ""
        )
        return refused(
            409,
            "This link was already used",
            f"It was used at {token.used_at.isoformat()} and works only once.{detail} Nothing was done.",
            request,
        )
    return _answer(session, link, token, request, user)


def _still_asking(session: Session, target: LinkTarget) -> bool:
    """Whether the link's task try is running, i.e. about to defer and register its links."""
    state = session.scalar(
        select(TI.state).where(
            TI.dag_id == target.dag_id,
            TI.run_id == target.run_id,
            TI.task_id == target.task_id,
            TI.map_index == target.map_index,
            TI.try_number == target.try_number,
        )
    )
    return state == TaskInstanceState.RUNNING


def _answer(
    session: Session, link: PreparedLink, token: HITLLinkToken, request: HITLDetail, user: BaseUser
) -> LinkResult:
    target = link.target
    try:
        answered = respond_to_request(
            session,
            task=target.task,
            user=user,
            chosen_options=list(target.chosen_options or ()),
            params_input=target.params_input,
            channel=ResponseChannel.LINK.value,
            try_number=target.try_number,
        )
    except HITLServiceError as err:
        session.rollback()
        title, message = _refusal_words(err)
        return refused(err.status_code, title, f"{message} Nothing was done.", request)
    session.execute(
        update(HITLLinkToken)
        .where(HITLLinkToken.id == token.id, HITLLinkToken.used_at.is_(None))
        .values(used_at=answered.responded_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return LinkResult(
        ANSWERED,
        200,
        f"{', '.join(answered.chosen_options or [])}: answer recorded",
        f"Your answer to “{answered.subject}” was recorded; the task goes on.",
        request=answered,
    )


def _refusal_words(err: HITLServiceError) -> tuple[str, str]:
    """A title and a sentence for a refused answer (the service's own reasons, made readable)."""
    if isinstance(err, InvalidParams):
        fields = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in err.detail)
        return "The link's form values were refused", f"{fields}."
    detail = str(err.detail).rstrip(".") + "."
    if isinstance(err, RequestClosed):
        return "This request takes no more answers", detail
    if isinstance(err, NotAllowed):
        return "You may not answer this request", detail
    if isinstance(err, InvalidOptions):
        return "The link's answer was refused", detail
    if isinstance(err, RequestNotFound):
        return "The request was not found", detail
    return "The answer was refused", detail
