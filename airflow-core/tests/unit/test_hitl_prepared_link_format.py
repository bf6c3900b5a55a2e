"""Specification of prepared-link tokens: any change to a link invalidates it; the server keeps digests.

Covers ``airflow.hitl.prepared_links`` (encoding, digests) and the pure checks of
``airflow.hitl.services.prepared_link_tokens`` (which request a digest belongs to, expiry, registration).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import string
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from airflow.hitl.config import HITLSettings
from airflow.hitl.prepared_links import (
    ACTION_OPEN,
    ACTION_RESPOND,
    InvalidLink,
    LinkTarget,
    PreparedLink,
    link_url,
    registration_of,
    request_view_path,
)
from airflow.hitl.services.prepared_link_tokens import link_expiry, link_mismatch, register_link_tokens

EXPIRES = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())

TARGET = LinkTarget(
    dag_id="release",
    run_id="manual__2026-11-28T06:00:00+00:00",
    task_id="approve",
    map_index=-1,
    try_number=1,
    action=ACTION_RESPOND,
    expires_at=EXPIRES,
    chosen_options=("Approve",),
    params_input={"note": "ok"},
)

# One different value for every field of a link's target.
ALTERATIONS = {
    "dag_id": "release2",
    "run_id": "manual__2026-11-28T06:00:01+00:00",
    "task_id": "approve2",
    "map_index": 0,
    "try_number": 2,
    "action": ACTION_OPEN,
    "expires_at": EXPIRES + 1,
    "chosen_options": ("Reject",),
    "params_input": {"note": "ok!"},
    "recipient": "ann",
}

B64_ALPHABET = string.ascii_letters + string.digits + "-_"


def alter(target: LinkTarget, field: str) -> LinkTarget:
    changes = {field: ALTERATIONS[field]}
    if field == "action":  # an open link carries no answer
        changes.update(chosen_options=None, params_input=None)
    return dataclasses.replace(target, **changes)


def encode_raw(payload: bytes, token: str) -> str:
    return f"{base64.urlsafe_b64encode(payload).rstrip(b'=').decode()}.{token}"


@pytest.fixture
def link() -> PreparedLink:
    return PreparedLink.mint(TARGET)


class TestEncoding:
    def test_a_link_round_trips(self, link):
        assert PreparedLink.decode(link.encode()) == link

    def test_a_link_is_one_url_safe_path_segment(self, link):
        # Airflow's login passes ``next`` on without re-encoding: no '&', '#', '/', '?' or '%'.
        assert set(link.encode()) <= set(B64_ALPHABET + ".")

    def test_each_link_gets_its_own_random_token(self):
        tokens = {PreparedLink.mint(TARGET).token for _ in range(50)}
        assert len(tokens) == 50
        assert all(len(token) == 43 for token in tokens)

    def test_the_url_is_the_base_url_and_the_links_path(self, link):
        assert link_url("https://airflow.example.com/", link) == (
            f"https://airflow.example.com/hitl/links/{link.encode()}"
        )

    def test_the_view_path_quotes_every_id(self):
        assert request_view_path("d/x", "manual__2026-11-28T06:00:00+00:00", "t?", 3) == (
            "/required_actions/dags/d%2Fx/runs/manual__2026-11-28T06%3A00%3A00%2B00%3A00/tasks/t%3F/3"
        )


class TestDigest:
    def test_the_digest_is_an_hmac_of_the_fields_keyed_with_the_token(self, link):
        assert len(link.digest) == 64
        assert link.digest == PreparedLink(TARGET, link.token).digest
        assert link.digest != PreparedLink.mint(TARGET).digest

    @pytest.mark.parametrize("field", sorted(ALTERATIONS))
    def test_changing_any_single_field_changes_the_digest(self, link, field):
        changed = PreparedLink(alter(TARGET, field), link.token)
        assert changed.digest != link.digest
        # ...and the altered link still decodes, so only the digest lookup can refuse it.
        assert PreparedLink.decode(changed.encode()).target == changed.target

    @pytest.mark.parametrize("recipient", [None, "ann"])
    def test_changing_any_single_character_of_a_link_refuses_it_or_changes_its_digest(self, recipient):
        link = PreparedLink.mint(dataclasses.replace(TARGET, recipient=recipient))
        text = link.encode()
        for position, char in enumerate(text):
            for replacement in set(B64_ALPHABET + ".") - {char}:
                altered = text[:position] + replacement + text[position + 1 :]
                try:
                    decoded = PreparedLink.decode(altered)
                except InvalidLink:
                    continue
                assert decoded.digest != link.digest, (position, replacement)

    def test_the_registration_carries_the_digest_and_never_the_token(self, link):
        registration = link.registration()
        assert registration == {
            "digest": link.digest,
            "action": ACTION_RESPOND,
            "chosen_options": ["Approve"],
            "params_input": {"note": "ok"},
            "exp": EXPIRES,
            "recipient": None,
        }
        assert link.token not in json.dumps(registration)
        assert registration_of(json.loads(json.dumps(registration))) == registration


class TestDecodingRefuses:
    def test_a_non_canonical_spelling_of_the_same_fields(self, link):
        reordered = json.dumps(TARGET.as_dict(), sort_keys=False, separators=(",", ":")).encode()
        spaced = json.dumps(TARGET.as_dict(), sort_keys=True).encode()
        for payload in (reordered, spaced):
            assert payload != TARGET.canonical()
            with pytest.raises(InvalidLink):
                PreparedLink.decode(encode_raw(payload, link.token))

    def test_padding_or_spare_bits_in_the_base64(self, link):
        payload, token = link.encode().split(".")
        with pytest.raises(InvalidLink):
            PreparedLink.decode(f"{payload}==.{token}")

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "no-dot-at-all",
            "a.b.c",
            f"e30.{'A' * 42}",  # token too short
            f"e30.{'A' * 44}",  # token too long
            f"e30.{'A' * 42}=",
            f"<img src=x onerror=alert(1)>.{'A' * 43}",
            f"{'A' * 5000}.{'A' * 43}",
        ],
    )
    def test_garbage(self, text):
        with pytest.raises(InvalidLink):
            PreparedLink.decode(text)

    @pytest.mark.parametrize(
        "changes",
        [
            {"v": 3},
            {"v": 1},  # a version 1 link has no "to"
            {"v": True},
            {"to": 7},
            {"to": ""},
            {"to": "x" * 251},
            {"extra": 1},
            {"map_index": True},
            {"map_index": "-1"},
            {"exp": 1.5},
            {"dag_id": ""},
            {"options": "Approve"},
            {"options": [1]},
            {"params": []},
            {"action": "delete"},
            {"action": "respond", "options": None},
            {"action": "open"},  # an open link with an answer
        ],
    )
    def test_wrong_fields_or_types(self, link, changes):
        fields = {**TARGET.as_dict(), **changes}
        payload = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
        with pytest.raises(InvalidLink):
            PreparedLink.decode(encode_raw(payload, link.token))


class TestVersions:
    def test_a_version_1_link_is_still_read_as_made_for_nobody(self, link):
        old = dataclasses.replace(TARGET, version=1)
        assert "to" not in old.as_dict()
        text = PreparedLink(old, link.token).encode()
        decoded = PreparedLink.decode(text)
        assert (decoded.target.version, decoded.target.recipient) == (1, None)
        assert decoded.encode() == text
        assert decoded.digest == PreparedLink(old, link.token).digest

    def test_new_links_name_their_recipient_or_nobody(self, link):
        assert TARGET.as_dict()["to"] is None
        assert dataclasses.replace(TARGET, recipient="ann").as_dict()["to"] == "ann"


class TestHostilePayloads:
    """A payload is the sender's to choose: whatever it holds, decoding refuses it as invalid."""

    @pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
    def test_non_finite_numbers(self, link, constant):
        canonical = TARGET.canonical().decode()
        payload = canonical.replace('{"note":"ok"}', '{"note":' + constant + "}").encode()
        with pytest.raises(InvalidLink):
            PreparedLink.decode(encode_raw(payload, link.token))

    @pytest.mark.parametrize("depth", [200, 900, 1400])
    def test_deep_nesting(self, link, depth):
        canonical = TARGET.canonical().decode()
        payload = canonical.replace('{"note":"ok"}', '{"note":' + "[" * depth + "]" * depth + "}").encode()
        with pytest.raises(InvalidLink):
            PreparedLink.decode(encode_raw(payload, link.token))


class TestRegistrationOf:
    @pytest.mark.parametrize(
        "changes",
        [
            {"digest": "A" * 64},
            {"action": "delete"},
            {"chosen_options": "Approve"},
            {"params_input": []},
            {"exp": "soon"},
            {"exp": True},
            {"recipient": 7},
            {"recipient": ""},
        ],
    )
    def test_malformed_fields_are_refused(self, link, changes):
        with pytest.raises(ValueError):
            registration_of({**link.registration(), **changes})

    def test_a_registration_of_an_older_worker_is_made_for_nobody(self, link):
        old = dict(link.registration())
        del old["recipient"]
        assert registration_of(old)["recipient"] is None


def stored(link: PreparedLink, **changes):
    """A token row and its request as the registry stores them for ``link``."""
    target = link.target
    token = SimpleNamespace(
        action=target.action,
        chosen_options=list(target.chosen_options) if target.chosen_options is not None else None,
        params_input=dict(target.params_input) if target.params_input is not None else None,
        expires_at=target.expiry,
        created_at=datetime(2026, 11, 28, 6, tzinfo=UTC),
        recipient=target.recipient,
    )
    request = SimpleNamespace(
        dag_id=target.dag_id,
        run_id=target.run_id,
        task_id=target.task_id,
        map_index=target.map_index,
        try_number=target.try_number,
    )
    for name, value in changes.items():
        setattr(token if hasattr(token, name) else request, name, value)
    return token, request


class TestLinkMismatch:
    def test_the_registered_link_matches(self, link):
        assert link_mismatch(link.target, *stored(link)) is None

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"dag_id": "other"}, "another task"),
            ({"run_id": "other"}, "another task"),
            ({"task_id": "other"}, "another task"),
            ({"map_index": 4}, "another task"),
            ({"try_number": 2}, "another try"),
            ({"action": ACTION_OPEN}, "action"),
            ({"chosen_options": ["Reject"]}, "options"),
            ({"params_input": {"note": "no"}}, "form values"),
            ({"params_input": None}, "form values"),
            ({"expires_at": datetime.fromtimestamp(EXPIRES + 60, tz=UTC)}, "expiry"),
        ],
    )
    def test_a_digest_registered_by_another_task_or_for_other_fields_does_not(self, link, changes, reason):
        # A task could register the digest of a link naming another task's request: the request
        # that registered it must be the one the link names.
        assert reason in link_mismatch(link.target, *stored(link, **changes))


class TestLinkExpiry:
    def test_the_links_own_expiry_applies_within_the_servers_maximum(self, link):
        token, _ = stored(link)
        settings = HITLSettings(prepared_link_max_lifetime_seconds=30 * 24 * 3600)
        assert link_expiry(token, settings) == link.target.expiry

    def test_the_servers_maximum_caps_a_longer_expiry(self, link):
        token, _ = stored(link)
        settings = HITLSettings(prepared_link_max_lifetime_seconds=3600)
        assert link_expiry(token, settings) == token.created_at + timedelta(hours=1)


class FakeSession:
    """Records what would be added; enough for the registration's pure checks."""

    def __init__(self) -> None:
        self.added: list = []

    @contextmanager
    def begin_nested(self):
        yield

    def add_all(self, rows) -> None:
        self.added.extend(rows)


class TestRegistration:
    def test_each_digest_is_stored_once_with_what_the_link_does(self, link):
        session = FakeSession()
        other = PreparedLink.mint(dataclasses.replace(TARGET, chosen_options=("Reject",), params_input=None))
        entries = [link.registration(), link.registration(), other.registration()]
        assert register_link_tokens(session, SimpleNamespace(id=7), {"links": entries}) == 2  # type: ignore[arg-type]
        rows = {row.token_hash: row for row in session.added}
        assert set(rows) == {link.digest, other.digest}
        row = rows[link.digest]
        assert (row.request_id, row.action, row.chosen_options, row.params_input) == (
            7,
            ACTION_RESPOND,
            ["Approve"],
            {"note": "ok"},
        )
        assert row.expires_at == TARGET.expiry
        assert row.used_at is None

    @pytest.mark.parametrize(
        "broken",
        [
            {"digest": "XYZ"},
            {"digest": "AB" * 32},
            {"action": "delete"},
            {"chosen_options": "Approve"},
            {"params_input": ["x"]},
            {"exp": "soon"},
            {"exp": True},
        ],
    )
    def test_malformed_entries_are_dropped_and_the_rest_kept(self, link, broken):
        session = FakeSession()
        entries = [{**link.registration(), **broken}, PreparedLink.mint(TARGET).registration()]
        assert register_link_tokens(session, SimpleNamespace(id=1), {"links": entries}) == 1  # type: ignore[arg-type]

    def test_a_trigger_without_links_registers_none(self):
        session = FakeSession()
        assert register_link_tokens(session, SimpleNamespace(id=1), {"request": {}}) == 0  # type: ignore[arg-type]
        assert session.added == []
