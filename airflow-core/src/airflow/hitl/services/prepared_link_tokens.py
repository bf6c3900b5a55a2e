"""Digests of prepared links: registered with their request, matched against a link's fields.

Tokens are minted in the worker (which has no database access); only their digests travel, in
the kwargs of the task's ``HITLTrigger`` (a list of :class:`~airflow.hitl.prepared_links.LinkRegistration`),
to :func:`register_link_tokens`, which the registry calls when it turns the deferred task into a
request. A link is therefore valid only for the request of the very task try that made it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from airflow.hitl.models import HITLLinkToken, HITLRequest
from airflow.hitl.prepared_links import LinkRegistration, LinkTarget, registration_of
from airflow.utils import timezone as airflow_timezone

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.orm import Session

    from airflow.hitl.config import HITLSettings

log = logging.getLogger(__name__)


def register_link_tokens(session: Session, row: HITLRequest, trigger_kwargs: Mapping[str, Any]) -> int:
    """
    Store the digests of the links the task try made (``trigger_kwargs["links"]``) for ``row``.

    Malformed entries are dropped with a warning; they never keep the request itself from being
    registered. A digest that is already stored (it could only be copied from another link) drops
    this try's links, not the other request's.
    """
    now = airflow_timezone.utcnow()
    tokens: dict[str, HITLLinkToken] = {}
    for entry in trigger_kwargs.get("links") or []:
        try:
            token = _token_row(row, registration_of(entry), now)
        except (ValueError, OverflowError, OSError) as err:  # OverflowError/OSError: an absurd expiry
            log.warning("Dropped a malformed prepared link of %r: %s", row, err)
            continue
        tokens.setdefault(token.token_hash, token)
    if not tokens:
        return 0
    try:
        with session.begin_nested():
            session.add_all(tokens.values())
    except IntegrityError:
        log.warning("Prepared links of %r reuse a stored digest; they are not registered", row)
        return 0
    return len(tokens)


def _token_row(row: HITLRequest, link: LinkRegistration, now: datetime) -> HITLLinkToken:
    return HITLLinkToken(
        request_id=row.id,
        token_hash=link["digest"],
        action=link["action"],
        chosen_options=link["chosen_options"],
        params_input=link["params_input"],
        recipient=link["recipient"],
        created_at=now,
        expires_at=datetime.fromtimestamp(link["exp"], tz=UTC),
        used_at=None,
    )


def link_mismatch(target: LinkTarget, token: HITLLinkToken, request: HITLRequest) -> str | None:
    """
    Why a stored digest does not belong to the link's fields (None when it does).

    The digest already covers the fields; this checks that the task try which registered the
    digest is the one the link names, so a task cannot make links for another task's request.
    """
    if (request.dag_id, request.run_id, request.task_id, request.map_index) != target.task:
        return "the link names another task than the one that made it"
    if request.try_number != target.try_number:
        return "the link names another try than the one that made it"
    if token.action != target.action:
        return "the link's action differs from the registered one"
    chosen = list(target.chosen_options) if target.chosen_options is not None else None
    if token.chosen_options != chosen:
        return "the link's options differ from the registered ones"
    params = dict(target.params_input) if target.params_input is not None else None
    if token.params_input != params:
        return "the link's form values differ from the registered ones"
    if int(token.expires_at.timestamp()) != target.expires_at:
        return "the link's expiry differs from the registered one"
    if token.recipient != target.recipient:
        return "the link's recipient differs from the registered one"
    return None


def link_expiry(token: HITLLinkToken, settings: HITLSettings) -> datetime:
    """The link's own expiry, capped by this server's maximum lifetime from its registration."""
    return min(
        token.expires_at, token.created_at + timedelta(seconds=settings.prepared_link_max_lifetime_seconds)
    )
