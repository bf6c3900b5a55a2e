"""Specification of the prepared-link utility (``context["hitl_links"]``) and its operator glue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jinja2.sandbox
import pytest

from airflow.exceptions import TaskDeferred
from airflow.hitl.config import HITLSettings
from airflow.hitl.prepared_links import ACTION_OPEN, ACTION_RESPOND, PreparedLink
from airflow.hitl.request import HITLDefinitionError
from airflow.providers.hitl.notifications.per_recipient import PerRecipientNotifier
from airflow.providers.hitl.operators.hitl import ApprovalOperator
from airflow.providers.hitl.utils.prepared_links import PreparedLinks, links_from_context
from airflow.sdk import DAG, BaseNotifier, Param

NOW = datetime(2026, 11, 28, 7, 0, tzinfo=UTC)
BASE = "https://airflow.example.com"
ENABLED = HITLSettings(
    prepared_links_enabled=True, prepared_link_max_lifetime_seconds=7 * 24 * 3600, prepared_link_base_url=BASE
)
DISABLED = HITLSettings(prepared_links_enabled=False, prepared_link_base_url=BASE)
REQUEST = {
    "options": ["Approve", "Reject"],
    "multiple": False,
    "params": {
        "note": {"value": None, "schema": {"type": ["string", "null"]}, "description": None},
        "count": {"value": 1, "schema": {"type": "integer", "minimum": 1}, "description": None},
    },
}


def make_links(settings: HITLSettings = ENABLED, deadline: datetime | None = None) -> PreparedLinks:
    return PreparedLinks(
        dag_id="release",
        run_id="manual__2026-11-28T07:00:00+00:00",
        task_id="approve",
        map_index=-1,
        try_number=2,
        request=REQUEST,
        deadline=deadline,
        settings=settings,
        now=NOW,
    )


def decoded(url: str) -> PreparedLink:
    prefix = f"{BASE}/hitl/links/"
    assert url.startswith(prefix)
    return PreparedLink.decode(url[len(prefix) :])


class TestEnabled:
    def test_the_open_link_names_the_task_try_and_opens(self):
        target = decoded(make_links().open).target
        assert target.task == ("release", "manual__2026-11-28T07:00:00+00:00", "approve", -1)
        assert target.try_number == 2
        assert target.action == ACTION_OPEN
        assert (target.chosen_options, target.params_input) == (None, None)

    def test_an_action_link_carries_the_answer(self):
        target = decoded(make_links().action("Reject", params_input={"note": "too early"})).target
        assert target.action == ACTION_RESPOND
        assert target.chosen_options == ("Reject",)
        assert target.params_input == {"note": "too early"}

    def test_the_same_link_asked_twice_is_one_link_and_different_ones_differ(self):
        links = make_links()
        assert links.action("Approve") == links.action("Approve")
        assert links.open == links.open
        urls = {
            links.open,
            links.action("Approve"),
            links.action("Reject"),
            links.action("Approve", params_input={"count": 2}),
        }
        assert len(urls) == 4
        assert len(links.registrations()) == 4

    def test_registrations_hold_the_digests_of_the_links_and_not_their_tokens(self):
        links = make_links()
        made = [decoded(links.open), decoded(links.action("Approve"))]
        registrations = links.registrations()
        assert [r["digest"] for r in registrations] == [link.digest for link in made]
        assert not any(link.token in repr(registrations) for link in made)

    def test_no_new_link_once_the_task_has_deferred(self):
        links = make_links()
        approve = links.action("Approve")
        links.registrations()
        assert links.action("Approve") == approve  # made before: still the same link
        with pytest.raises(RuntimeError, match="deferred already"):
            links.action("Reject")


class TestExpiry:
    def test_without_a_deadline_links_live_the_maximum_lifetime(self):
        assert decoded(make_links().open).target.expiry == NOW + timedelta(days=7)

    def test_an_earlier_deadline_ends_them(self):
        deadline = NOW + timedelta(hours=3, seconds=0.5)
        assert decoded(make_links(deadline=deadline).action("Approve")).target.expiry == NOW + timedelta(
            hours=3
        )

    def test_a_later_deadline_does_not_extend_the_maximum(self):
        deadline = NOW + timedelta(days=30)
        assert decoded(make_links(deadline=deadline).open).target.expiry == NOW + timedelta(days=7)

    def test_a_link_may_ask_for_less(self):
        links = make_links(deadline=NOW + timedelta(days=1))
        assert decoded(
            links.action("Approve", expires_in=timedelta(minutes=5))
        ).target.expiry == NOW + timedelta(minutes=5)
        assert decoded(links.open_link(expires_in=timedelta(days=2))).target.expiry == NOW + timedelta(days=1)


class TestRefusedAnswers:
    @pytest.mark.parametrize(
        ("options", "params_input", "message"),
        [
            (("Aprove",), None, "option 'Aprove' is not one of ['Approve', 'Reject']"),
            (("Approve", "Reject"), None, "only one option may be chosen"),
            ((), None, "choose at least one option"),
            (("Approve",), {"count": 0}, "count: 0 is less than the minimum of 1"),
            (("Approve",), {"colour": "red"}, "colour: unknown field"),
        ],
    )
    @pytest.mark.parametrize("settings", [ENABLED, DISABLED], ids=["enabled", "disabled"])
    def test_fail_when_the_link_is_made(self, options, params_input, message, settings):
        with pytest.raises(HITLDefinitionError, match=message.replace("[", r"\[").replace("]", r"\]")):
            make_links(settings).action(*options, params_input=params_input)


class TestDisabled:
    def test_links_are_the_plain_view_of_the_request_and_nothing_is_registered(self):
        links = make_links(DISABLED)
        view = f"{BASE}/required_actions/dags/release/runs/manual__2026-11-28T07%3A00%3A00%2B00%3A00/tasks/approve/-1"
        assert links.enabled is False
        assert links.open == view
        assert links.action("Approve") == view
        assert links.registrations() == []


class TestTemplates:
    def test_a_sandboxed_jinja_template_makes_links(self):
        links = make_links()
        html = (
            jinja2.sandbox.SandboxedEnvironment()
            .from_string(
                '<a href="{{ hitl_links.action(\'Approve\') }}">A</a> <a href="{{ hitl_links.open }}">O</a>'
            )
            .render(hitl_links=links)
        )
        assert links.action("Approve") in html
        assert links.open in html

    def test_links_from_context_finds_them_or_says_where_they_exist(self):
        links = make_links()
        assert links_from_context({"hitl_links": links}) is links
        with pytest.raises(LookupError, match="notifiers of HITL operators"):
            links_from_context({})


class RecordingNotifier(BaseNotifier):
    """Renders its template with the task context, as mail notifiers do, and keeps the result."""

    template_fields = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        self.sent: list[str] = []

    def notify(self, context) -> None:
        self.sent.append(self.message)


def waiting_ti() -> SimpleNamespace:
    """The task instance an operator sees in ``execute``; XCom pushes are recorded."""
    pushed: list[tuple[str, object]] = []
    return SimpleNamespace(
        id="0190d6a2-0000-7000-8000-000000000001",
        dag_id="release",
        run_id="r1",
        task_id="approve",
        map_index=-1,
        try_number=1,
        pushed=pushed,
        xcom_push=lambda key, value: pushed.append((key, value)),
    )


class TestOperatorGlue:
    def test_notifiers_render_links_whose_digests_the_trigger_carries(self, monkeypatch):
        monkeypatch.setattr("airflow.providers.hitl.utils.prepared_links.get_settings", lambda: ENABLED)
        notifier = RecordingNotifier(
            "{{ hitl_links.action('Approve') }} {{ hitl_links.open }} {{ hitl_request.subject }}"
        )
        with DAG("release", schedule=None) as dag:
            gate = ApprovalOperator(
                task_id="approve",
                subject="Release?",
                notifiers=[notifier],
                response_timeout=timedelta(hours=1),
                params={"note": Param(None, type=["string", "null"])},
            )
        ti = waiting_ti()
        with pytest.raises(TaskDeferred) as deferred:
            gate.execute({"ti": ti, "dag": dag, "task": gate})  # type: ignore[arg-type]

        approve_url, open_url, subject = notifier.sent[0].split(" ", 2)
        assert subject == "Release?"
        approve, opened = decoded(approve_url), decoded(open_url)
        assert approve.target.chosen_options == ("Approve",)
        assert approve.target.task == ("release", "r1", "approve", -1)
        assert opened.target.action == ACTION_OPEN
        trigger = deferred.value.trigger
        assert [r["digest"] for r in trigger.serialize()[1]["links"]] == [approve.digest, opened.digest]
        assert approve.target.expiry <= trigger.deadline

    def test_without_notifiers_the_trigger_carries_no_links(self, monkeypatch):
        monkeypatch.setattr("airflow.providers.hitl.utils.prepared_links.get_settings", lambda: ENABLED)
        with DAG("release", schedule=None) as dag:
            gate = ApprovalOperator(task_id="approve", subject="Release?")
        ti = waiting_ti()
        with pytest.raises(TaskDeferred) as deferred:
            gate.execute({"ti": ti, "dag": dag, "task": gate})  # type: ignore[arg-type]
        assert deferred.value.trigger.serialize()[1]["links"] == []


class TestRecipients:
    def test_links_of_hitl_links_itself_are_made_for_nobody(self):
        assert decoded(make_links().action("Approve")).target.recipient is None

    def test_links_for_a_user_name_them_and_differ_from_everyone_elses(self):
        links = make_links()
        ann, bob = links.for_user("ann"), links.for_user("bob")
        assert decoded(ann.action("Approve")).target.recipient == "ann"
        assert decoded(ann.open).target.recipient == "ann"
        assert len({links.action("Approve"), ann.action("Approve"), bob.action("Approve")}) == 3
        assert repr(ann).endswith("for=ann>")

    def test_every_recipients_links_are_registered_together_and_sealed_together(self):
        links = make_links()
        ann = links.for_user("ann")
        made = [decoded(links.open), decoded(ann.action("Approve")), decoded(links.for_user("bob").open)]
        registrations = links.registrations()
        assert [r["digest"] for r in registrations] == [link.digest for link in made]
        assert [r["recipient"] for r in registrations] == [None, "ann", "bob"]
        with pytest.raises(RuntimeError, match="deferred already"):
            ann.action("Reject")

    @pytest.mark.parametrize("user_id", ["", None, 7])
    def test_a_user_id_is_a_non_empty_string(self, user_id):
        with pytest.raises(HITLDefinitionError, match="user id"):
            make_links().for_user(user_id)  # type: ignore[arg-type]

    def test_answers_are_still_checked_when_the_link_is_made(self):
        with pytest.raises(HITLDefinitionError, match="Aprove"):
            make_links().for_user("ann").action("Aprove")


class Outbox(list):
    """What notifiers sent; every copy of a notifier sends to this same one."""

    def __deepcopy__(self, memo):
        return self


class SendingNotifier(RecordingNotifier):
    """Appends what it sends to the test's outbox (each recipient's copy to the same one)."""

    def __init__(self, sent: list[str], message: str) -> None:
        super().__init__(message)
        self.outbox = sent

    def notify(self, context) -> None:
        self.outbox.append(self.message)


class TestPerRecipientNotifier:
    def run(self, notifier, monkeypatch):
        monkeypatch.setattr("airflow.providers.hitl.utils.prepared_links.get_settings", lambda: ENABLED)
        with DAG("release", schedule=None) as dag:
            gate = ApprovalOperator(
                task_id="approve",
                subject="Release?",
                notifiers=[notifier],
                response_timeout=timedelta(hours=1),
            )
        with pytest.raises(TaskDeferred) as deferred:
            gate.execute({"ti": waiting_ti(), "dag": dag, "task": gate})  # type: ignore[arg-type]
        return deferred.value.trigger.serialize()[1]["links"]

    def test_each_recipient_gets_a_notification_with_links_made_for_them(self, monkeypatch):
        sent = Outbox()
        notifier = PerRecipientNotifier(
            SendingNotifier(sent, "{{ hitl_recipient.address }} {{ hitl_links.action('Approve') }}"),
            recipients={"ann": "ann@example.com", "bob": "{{ 'bob' }}@example.com"},
        )
        links = self.run(notifier, monkeypatch)
        assert [m.split(" ")[0] for m in sent] == ["ann@example.com", "bob@example.com"]
        targets = [decoded(m.split(" ")[1]).target for m in sent]
        assert [t.recipient for t in targets] == ["ann", "bob"]
        assert [r["recipient"] for r in links] == ["ann", "bob"]

    def test_recipients_may_be_a_template_rendering_json(self, monkeypatch):
        sent = Outbox()
        notifier = PerRecipientNotifier(
            SendingNotifier(sent, "{{ hitl_recipient.id }}"),
            recipients='{{ {"ann": "ann@example.com"} | tojson }}',
        )
        self.run(notifier, monkeypatch)
        assert sent == ["ann"]

    @pytest.mark.parametrize("recipients", ["ann@example.com", '["ann"]', '{"ann": 7}'])
    def test_recipients_that_are_not_a_mapping_of_ids_to_addresses_fail_the_task(
        self, monkeypatch, recipients
    ):
        notifier = PerRecipientNotifier(RecordingNotifier("x"), recipients=recipients)
        with pytest.raises(HITLDefinitionError, match="recipients must map user ids"):
            self.run(notifier, monkeypatch)

    def test_a_misspelt_option_in_the_template_fails_the_task(self, monkeypatch):
        notifier = PerRecipientNotifier(
            RecordingNotifier("{{ hitl_links.action('Aprove') }}"), recipients={"ann": "ann@example.com"}
        )
        with pytest.raises(HITLDefinitionError, match="Aprove"):
            self.run(notifier, monkeypatch)
