"""What an answer must carry and who is kept from giving it: a request's answer policy.

Pure functions, no database, like :mod:`airflow.hitl.request`: the operators check a policy when
the DAG file is parsed, the respond service applies it to every answer (whatever the channel), and
the API shows it to the responder before they answer. A request without a policy (one registered
before policies existed, or recovered from an old XCom) gets :data:`DEFAULT_POLICY`: no comment
needed, nobody kept out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from airflow.hitl.request import principal_problem

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

COMMENT_MAX_LENGTH = 2000
"""The longest comment an answer may carry, in characters: a reason of a few paragraphs. The whole
answer body is bounded by ``[hitl] max_answer_bytes`` as well; this keeps a comment readable in the
audit log and the inbox."""


class RequestPolicy(TypedDict):
    """
    The rules an answer to one request follows, besides its options and form.

    ``require_comment_on``: options whose choice needs a comment (a reason). ``allow_self_approval``:
    whether the user who triggered the DAG run may answer. ``excluded_users``: user ids or names
    who may not answer, whatever their access. ``required_votes``: how many distinct people must
    choose an option for it to win (a quorum); an option not named needs one, so an empty mapping
    is a request the first answer completes.
    """

    require_comment_on: list[str]
    allow_self_approval: bool
    excluded_users: list[str]
    required_votes: dict[str, int]


DEFAULT_POLICY: RequestPolicy = {
    "require_comment_on": [],
    "allow_self_approval": True,
    "excluded_users": [],
    "required_votes": {},
}


def policy_of(request: Mapping[str, Any] | None) -> RequestPolicy:
    """The policy a stored or carried request names (``request["policy"]``), defaults filled in."""
    given: Mapping[str, Any] = (request or {}).get("policy") or {}
    return {
        "require_comment_on": list(given.get("require_comment_on") or []),
        "allow_self_approval": bool(given.get("allow_self_approval", True)),
        "excluded_users": [str(user) for user in given.get("excluded_users") or []],
        "required_votes": {str(o): int(n) for o, n in (given.get("required_votes") or {}).items()},
    }


def make_policy(
    *,
    require_comment_on: str | Sequence[str] | None = None,
    allow_self_approval: bool = True,
    excluded_users: str | Sequence[str] | None = None,
    required_votes: Mapping[str, int] | None = None,
) -> RequestPolicy:
    """A policy from an operator's arguments (a lone string is one option or one user)."""
    return {
        "require_comment_on": _as_list(require_comment_on),
        "allow_self_approval": allow_self_approval,
        "excluded_users": _as_list(excluded_users),
        "required_votes": {option: n for option, n in (required_votes or {}).items() if n != 1},
    }


def votes_needed(policy: Mapping[str, Any], option: str) -> int:
    """How many distinct people must choose ``option`` for it to win (1: the first answer does)."""
    return int((policy.get("required_votes") or {}).get(option, 1))


def is_vote(policy: Mapping[str, Any]) -> bool:
    """Whether answers to the request are votes towards a quorum rather than the decision itself."""
    return any(n > 1 for n in (policy.get("required_votes") or {}).values())


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def check_policy(policy: Mapping[str, Any], options: Sequence[str]) -> list[str]:
    """What is wrong with a policy for a request offering ``options`` (empty when it is fine)."""
    problems: list[str] = []
    if not isinstance(policy.get("allow_self_approval"), bool):
        problems.append(
            f"allow_self_approval must be True or False, got {policy.get('allow_self_approval')!r}"
        )
    for option in policy.get("require_comment_on") or []:
        if option not in options:
            problems.append(f"require_comment_on: {option!r} is not one of the options {list(options)}")
    for option, needed in (policy.get("required_votes") or {}).items():
        if option not in options:
            problems.append(
                f"a quorum is set for {option!r}, which is not one of the options {list(options)}"
            )
        if not isinstance(needed, int) or isinstance(needed, bool) or needed < 1:
            problems.append(
                f"the number of votes {option!r} needs must be a whole number of at least 1, got {needed!r}"
            )
    for user in policy.get("excluded_users") or []:
        if not isinstance(user, str):
            problems.append(f"excluded_users: entries are user ids or names (strings), got {user!r}")
        elif problem := principal_problem("user", user):
            problems.append(f"excluded_users: {problem}, got {user!r}")
    return problems


def comment_problem(
    policy: Mapping[str, Any], chosen_options: Sequence[str], comment: str | None
) -> str | None:
    """Why ``comment`` cannot go with an answer choosing ``chosen_options``, or None."""
    text = (comment or "").strip()
    if len(comment or "") > COMMENT_MAX_LENGTH:
        return (
            f"the comment is {len(comment or '')} characters long; at most {COMMENT_MAX_LENGTH} are allowed"
        )
    needing = [option for option in chosen_options if option in (policy.get("require_comment_on") or [])]
    if needing and not text:
        return (
            f"a comment is required when choosing {', '.join(repr(o) for o in needing)}: "
            "say why in the answer's comment"
        )
    return None


def normalize_comment(comment: str | None) -> str | None:
    """The comment as stored: surrounding blanks removed, an empty one as None."""
    text = (comment or "").strip()
    return text or None
