"""Prepared links on the server: check a link, then open the request or answer it.

The link's digest must be one the request's own task try registered
(:mod:`airflow.hitl.services.prepared_link_tokens`). Who a link acts for:

* a link made for a recipient (a user id) answers for that user only, on the first call; anybody
  else who may read the DAG is told whom it was for and may open the request normally;
* a link made for nobody (sent to a channel) answers only when the call confirms it, i.e. after
  one explicit click on the link page, so that a forwarded mail or a preview never answers;
* no link ever answers as an admin's override (:func:`respond_to_request` with
  ``allow_override=False``).

Users who may not read the link's DAG learn nothing from it beyond "not for you". Answering goes
through :func:`respond_to_request`, like every other channel, with the channel ``link``. Every
refusal is a :class:`LinkRefused`, which the API turns into the link page's answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from airflow.hitl.models import HITLLinkToken, HITLRequest, HITLStatus, ResponseChannel
from airflow.hitl.policy import comment_problem
from airflow.hitl.prepared_links import ACTION_OPEN, InvalidLink, LinkTarget, PreparedLink, request_view_path
from airflow.hitl.services.errors import (
    HITLServiceError,
    InvalidOptions,
    InvalidParams,
    NotAllowed,
    RequestClosed,
    RequestNotFound,
)
from airflow.hitl.services.permissions import can_access_dag
from airflow.hitl.services.prepared_link_tokens import link_expiry, link_mismatch
from airflow.hitl.services.requests import sync_task
from airflow.hitl.services.respond import closed_reason, respond_to_request
from airflow.hitl.services.votes import describe_tally, tally
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
CONFIRM = "confirm"
REFUSED = "refused"
NOT_READY = "not_ready"

INVALID_MESSAGE = (
    "It was changed after it was sent, cut off, or not made by Airflow for this request. "
    "Nothing was done. Open the request in Airflow instead."
)


@dataclass
class LinkUse:
    """What a link did, or (``confirm``) will do after one more click, in words for the person."""

    outcome: str  # opened, answered or confirm
    title: str
    message: str
    request: HITLRequest
    redirect: str | None = None
    # ``confirm`` only: the answer needs a comment (the request's ``require_comment_on``).
    comment_required: bool = False


# What a refusal tells about its request (to users who may read the DAG): read when it is raised,
# since the API answers it after the request's session has ended.
DESCRIBED = (
    "dag_id",
    "run_id",
    "task_id",
    "map_index",
    "try_number",
    "subject",
    "status",
    "chosen_options",
    "responded_by_user",
    "responded_at",
)


class LinkRefused(HITLServiceError):
    """A link that did nothing, and why, in words for the person who clicked it."""

    outcome = REFUSED

    def __init__(
        self, status_code: int, title: str, message: str, request: HITLRequest | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.title = title
        self.request: dict[str, Any] | None = (
            {name: getattr(request, name) for name in DESCRIBED} if request is not None else None
        )


class LinkNotReady(LinkRefused):
    """The link's task is still sending its notifications: the page tries again shortly."""

    outcome = NOT_READY


def use_link(
    session: Session,
    text: str,
    user: BaseUser,
    settings: HITLSettings,
    *,
    confirmed: bool = False,
    comment: str | None = None,
    now: datetime | None = None,
) -> LinkUse:
    """
    Check the link ``text`` (``<payload>.<token>``) and do what it says for ``user``.

    An ``open`` link answers with the path of the request's view (it may be opened any number of
    times until it expires, by anybody who may read the DAG: it grants nothing); a ``respond``
    link answers the request and is used up once the answer is recorded: a link made for a
    recipient at once (for that user only), a link made for nobody when ``confirmed``. A link
    whose option needs a comment (the request's ``require_comment_on``) answers only when called
    with one: until then it asks for it, whoever it was made for. The request is described only to
    users who may read its DAG.

    :raises LinkRefused: the link did nothing; it says why.
    """
    if not settings.prepared_links_enabled:
        raise LinkRefused(
            403,
            "Prepared links are turned off",
            "This Airflow does not accept links from notifications. Nothing was done. "
            "Open the request in Airflow instead.",
        )
    try:
        link = PreparedLink.decode(text)
    except InvalidLink:
        raise LinkRefused(400, "This link is not valid", INVALID_MESSAGE) from None
    target = link.target
    sync_task(session, target.task)  # registers a just-deferred request and its links
    found = session.execute(
        select(HITLLinkToken, HITLRequest)
        .join(HITLRequest, HITLLinkToken.request_id == HITLRequest.id)
        .where(HITLLinkToken.token_hash == link.digest)
    ).first()
    if found is None:
        if _still_asking(session, target) and can_access_dag(user, target.dag_id, "GET"):
            # The notification can arrive before the task has deferred (it is sent just before).
            raise LinkNotReady(
                409,
                "This request is not ready yet",
                "The task is still sending its notifications. Trying again in a moment…",
            )
        raise LinkRefused(404, "This link is not valid", INVALID_MESSAGE)
    token, request = found
    mismatch = link_mismatch(target, token, request)
    if mismatch:
        log.warning("Refused a prepared link for %r: %s", request, mismatch)
        raise LinkRefused(404, "This link is not valid", INVALID_MESSAGE)
    if not can_access_dag(user, request.dag_id, "GET"):
        # Nothing about the request (its state, who answered, who may) reaches this user.
        raise LinkRefused(
            403,
            "You may not see this request",
            "Your Airflow account cannot read the DAG this link belongs to. Nothing was done.",
        )
    now = now or airflow_timezone.utcnow()
    expiry = link_expiry(token, settings)
    if now >= expiry:
        raise LinkRefused(
            410,
            "This link has expired",
            f"It was valid until {expiry.isoformat()}. Nothing was done. Open the request in Airflow instead.",
            request,
        )
    if target.action == ACTION_OPEN:
        view = request_view_path(request.dag_id, request.run_id, request.task_id, request.map_index)
        return LinkUse(OPENED, "Opening the request", request.subject, request, redirect=view)
    if token.recipient is not None and token.recipient != str(user.get_id()):
        raise LinkRefused(
            403,
            "This link was made for someone else",
            f"It was sent to the user '{token.recipient}' and answers only for them. Nothing was done. "
            "If you may answer this request, open it in Airflow.",
            request,
        )
    if token.used_at is not None:
        detail = (
            f" (The request was {closed_reason(request)}.)" if request.status != HITLStatus.PENDING else ""
        )
        raise LinkRefused(
            409,
            "This link was already used",
            f"It was used at {token.used_at.isoformat()} and works only once.{detail} Nothing was done.",
            request,
        )
    answer = ", ".join(target.chosen_options or ())
    if comment_problem(request.answer_policy(), list(target.chosen_options or ()), comment):
        return LinkUse(
            CONFIRM,
            f"Answer “{answer}”?",
            f"“{answer}” needs a comment saying why. Write it below; your answer to "
            f"“{request.subject}” is recorded as yours ({user.get_name()}).",
            request,
            comment_required=True,
        )
    if token.recipient is None and not confirmed:
        return LinkUse(
            CONFIRM,
            f"Answer “{answer}”?",
            f"This link was sent to a group, not to you alone, so it answers only when you confirm. "
            f"Your answer to “{request.subject}” is recorded as yours ({user.get_name()}).",
            request,
        )
    return _answer(session, link, token, request, user, comment)


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
    session: Session,
    link: PreparedLink,
    token: HITLLinkToken,
    request: HITLRequest,
    user: BaseUser,
    comment: str | None,
) -> LinkUse:
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
            allow_override=False,
            comment=comment,
        )
    except HITLServiceError as err:
        session.rollback()
        title, message = _refusal_words(err)
        raise LinkRefused(err.status_code, title, f"{message} Nothing was done.", request) from None
    vote_only = answered.status == HITLStatus.PENDING
    session.execute(
        update(HITLLinkToken)
        .where(HITLLinkToken.id == token.id, HITLLinkToken.used_at.is_(None))
        .values(used_at=airflow_timezone.utcnow() if vote_only else answered.responded_at)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if vote_only:
        return LinkUse(
            ANSWERED,
            f"{', '.join(target.chosen_options or ())}: vote recorded",
            f"Your vote on “{answered.subject}” was recorded; the request waits for more votes "
            f"({describe_tally(answered, tally(session, answered))}).",
            answered,
        )
    return LinkUse(
        ANSWERED,
        f"{', '.join(answered.chosen_options or [])}: answer recorded",
        f"Your answer to “{answered.subject}” was recorded; the task goes on.",
        answered,
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
