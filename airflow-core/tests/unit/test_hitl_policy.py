"""The answer policy: what an answer must carry (comments) and how a policy is read and checked."""

from __future__ import annotations

import pytest

from airflow.hitl.policy import (
    COMMENT_MAX_LENGTH,
    DEFAULT_POLICY,
    check_policy,
    comment_problem,
    is_vote,
    make_policy,
    normalize_comment,
    policy_of,
    votes_needed,
)

OPTIONS = ["Approve", "Reject"]
REJECT_NEEDS_REASON = make_policy(require_comment_on=["Reject"])


class TestReading:
    def test_a_request_without_a_policy_gets_the_default(self):
        assert policy_of({"subject": "old request"}) == DEFAULT_POLICY
        assert policy_of({"policy": None}) == DEFAULT_POLICY
        assert policy_of(None) == DEFAULT_POLICY

    def test_missing_keys_are_filled_in(self):
        assert policy_of({"policy": {"require_comment_on": ["Reject"]}}) == {
            "require_comment_on": ["Reject"],
            "allow_self_approval": True,
            "excluded_users": [],
            "required_votes": {},
        }

    def test_a_lone_string_is_one_option_or_one_user(self):
        policy = make_policy(require_comment_on="Reject", excluded_users="mallory")
        assert (policy["require_comment_on"], policy["excluded_users"]) == (["Reject"], ["mallory"])


class TestChecking:
    def test_the_default_policy_fits_any_options(self):
        assert check_policy(DEFAULT_POLICY, OPTIONS) == []

    def test_an_option_that_is_not_offered_is_named(self):
        assert check_policy(make_policy(require_comment_on=["Rejct"]), OPTIONS) == [
            "require_comment_on: 'Rejct' is not one of the options ['Approve', 'Reject']"
        ]

    def test_an_excluded_user_must_be_a_possible_user_id(self):
        (problem,) = check_policy(make_policy(excluded_users=["a/b"]), OPTIONS)
        assert problem.startswith("excluded_users: a user id must not")

    def test_allow_self_approval_must_be_a_boolean(self):
        policy = {**DEFAULT_POLICY, "allow_self_approval": "no"}
        assert check_policy(policy, OPTIONS) == ["allow_self_approval must be True or False, got 'no'"]


class TestComments:
    @pytest.mark.parametrize("comment", [None, "", "  \n "])
    def test_an_option_that_needs_a_reason_is_refused_without_one(self, comment):
        assert comment_problem(REJECT_NEEDS_REASON, ["Reject"], comment) == (
            "a comment is required when choosing 'Reject': say why in the answer's comment"
        )

    def test_other_options_need_none(self):
        assert comment_problem(REJECT_NEEDS_REASON, ["Approve"], None) is None

    def test_a_reason_satisfies_the_rule(self):
        assert comment_problem(REJECT_NEEDS_REASON, ["Reject"], "wrong totals") is None

    def test_a_comment_over_the_limit_is_refused_whatever_the_option(self):
        problem = comment_problem(DEFAULT_POLICY, ["Approve"], "x" * (COMMENT_MAX_LENGTH + 1))
        assert problem == f"the comment is {COMMENT_MAX_LENGTH + 1} characters long; at most 2000 are allowed"
        assert comment_problem(DEFAULT_POLICY, ["Approve"], "x" * COMMENT_MAX_LENGTH) is None

    def test_the_stored_comment_has_no_surrounding_blanks_and_empty_is_none(self):
        assert normalize_comment("  because  ") == "because"
        assert normalize_comment("   ") is None
        assert normalize_comment(None) is None


class TestQuorum:
    def test_a_request_without_a_quorum_is_decided_by_the_first_answer(self):
        assert is_vote(DEFAULT_POLICY) is False
        assert votes_needed(DEFAULT_POLICY, "Approve") == 1

    def test_options_not_named_need_one_vote(self):
        policy = make_policy(required_votes={"Approve": 3, "Reject": 1})
        assert policy["required_votes"] == {"Approve": 3}
        assert (votes_needed(policy, "Approve"), votes_needed(policy, "Reject")) == (3, 1)
        assert is_vote(policy) is True

    def test_a_quorum_for_an_option_that_is_not_offered_is_named(self):
        assert check_policy(make_policy(required_votes={"Aprove": 2}), OPTIONS) == [
            "a quorum is set for 'Aprove', which is not one of the options ['Approve', 'Reject']"
        ]

    def test_a_quorum_must_be_a_whole_number_of_at_least_one(self):
        (problem,) = check_policy(make_policy(required_votes={"Reject": 0}), OPTIONS)
        assert problem == "the number of votes 'Reject' needs must be a whole number of at least 1, got 0"
