"""Separation of duties: who a request's policy keeps from answering (run creators recorded on it)."""

from __future__ import annotations

from types import SimpleNamespace

from airflow.hitl.policy import make_policy, policy_of
from airflow.hitl.services.run_creator import exclusion_reason


class User:
    def __init__(self, user_id: str, name: str) -> None:
        self._id, self._name = user_id, name

    def get_id(self) -> str:
        return self._id

    def get_name(self) -> str:
        return self._name


def request(creators: list[str], **policy) -> SimpleNamespace:
    """Stands in for a stored request whose run's creators were recorded at registration."""
    stored = make_policy(**policy)
    return SimpleNamespace(
        dag_id="d", run_id="r", run_creators=creators, answer_policy=lambda: policy_of({"policy": stored})
    )


def test_by_default_the_creator_may_answer():
    assert exclusion_reason(None, User("alice", "alice"), request(["alice"])) is None


def test_without_self_approval_the_creator_is_kept_out_by_name():
    # FAB: the audit log names the user (get_name), the id is a number.
    reason = exclusion_reason(None, User("7", "alice"), request(["alice"], allow_self_approval=False))
    assert reason == (
        "you triggered this DAG run, and its requests may not be answered by who triggered it "
        "(allow_self_approval=False)"
    )


def test_without_self_approval_everybody_else_may_answer():
    assert exclusion_reason(None, User("bob", "bob"), request(["alice"], allow_self_approval=False)) is None


def test_a_run_without_a_recorded_creator_keeps_nobody_out():
    assert exclusion_reason(None, User("alice", "alice"), request([], allow_self_approval=False)) is None


def test_excluded_users_match_the_id_or_the_name():
    policy = {"excluded_users": ["7", "carol"]}
    assert exclusion_reason(None, User("7", "dave"), request([], **policy)) is not None
    assert exclusion_reason(None, User("9", "carol"), request([], **policy)) is not None
    assert exclusion_reason(None, User("9", "erin"), request([], **policy)) is None
