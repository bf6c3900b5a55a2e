"""Prepared links end to end: a real SMTP server receives the notification, Chromium opens its links.

The stacks run with ``[hitl] prepared_links_enabled`` and send mail to :data:`SMTP_PORT`, where this
module's SMTP server listens. Links turned off by configuration are opened on a second API server
of the same stack that has them turned off.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from airflow.hitl.prepared_links import PreparedLink
from tests.system.airflow_stack import SMTP_PORT, on_one_stack, wait_for
from tests.system.browser import log_in

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Page

    from tests.system.airflow_stack import AirflowStack, ApiClient

pytestmark = pytest.mark.system

EXAMPLE = "example_hitl_email_approval"
EXAMPLE_GATE = "approve_release"
LINKS_DAG = "hitl_links_system"
GATE = "gate"
ANCHOR = re.compile(r'<a href="([^"]+)">([^<]+)</a>')
FINISHED = {"success", "skipped", "failed", "upstream_failed"}


@dataclass
class Mail:
    recipients: list[str]
    subject: str
    html: str

    @property
    def links(self) -> dict[str, str]:
        """Anchor text -> address, for every link in the mail."""
        return {text.strip(): href for href, text in ANCHOR.findall(self.html)}


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self._mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("html",))
        html = body.get_content() if body is not None else ""
        with self._lock:
            self._mails.append(Mail(list(envelope.rcpt_tos), str(message["Subject"]), html))
        return "250 Message accepted for delivery"

    def wait_for(self, marker: str, timeout: float = 120) -> Mail:
        """The first mail whose subject contains ``marker``."""

        def arrived() -> Mail | None:
            with self._lock:
                return next((m for m in self._mails if marker in m.subject), None)

        try:
            return wait_for(arrived, timeout, f"a notification mail about {marker!r}", interval=0.3)
        except TimeoutError as err:
            with self._lock:
                received = [m.subject for m in self._mails]
            raise TimeoutError(f"{err}; received: {received}") from None


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on the port the stacks send their mail to."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    yield box
    controller.stop()


def open_link(page: Page, url: str) -> tuple[str, str]:
    """Open a link in the browser; the page's final state (answered/refused) and its title."""
    page.goto(url)
    page.wait_for_selector("body[data-state=answered], body[data-state=refused]", timeout=60_000)
    return page.locator("body").get_attribute("data-state") or "", page.locator("#title").inner_text()


def logged_in_page(context: BrowserContext, stack: AirflowStack, user: str, base_url: str = "") -> Page:
    page = context.new_page()
    log_in(page, base_url or stack.base_url, user, stack.passwords[user])
    return page


def mailed_request(api: ApiClient, mailbox: Mailbox) -> tuple[str, dict[str, str]]:
    """A new run of the links DAG waiting at its gate, and the links of its notification mail."""
    marker = uuid.uuid4().hex[:10]
    run_id = api.trigger(LINKS_DAG, conf={"marker": marker})
    links = mailbox.wait_for(marker).links
    api.wait_for_request(LINKS_DAG, run_id, GATE)
    return run_id, links


def assert_the_genuine_link_acts(stack: AirflowStack, browser: Any, run_id: str, approve: str) -> None:
    """After the abuse, the untouched "Approve" link still answers, and the DAG continues."""
    with browser() as context:
        page = logged_in_page(context, stack, "user")
        assert open_link(page, approve) == ("answered", "Approve: answer recorded")
    api = stack.client("admin")
    assert api.wait_for_state(LINKS_DAG, run_id, "after_gate", FINISHED)["state"] == "success"


def respond_events(api: ApiClient, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    """Airflow's audit log entries of answers to the run's requests."""
    response = api.http.get(
        "/api/v2/eventLogs", params={"dag_id": dag_id, "run_id": run_id, "event": "hitl.respond"}
    )
    response.raise_for_status()
    return response.json()["event_logs"]


def assert_nothing_recorded(api: ApiClient, dag_id: str, run_id: str, task_id: str) -> None:
    detail = api.get_request(dag_id, run_id, task_id).json()
    assert detail["status"] == "pending"
    assert detail["responded_at"] is None
    assert detail["chosen_options"] is None
    assert respond_events(api, dag_id, run_id) == []


def altered(url: str, **changes: Any) -> str:
    """``url`` with fields of its target changed and the original token kept."""
    base, _, segment = url.rpartition("/")
    link = PreparedLink.decode(segment)
    return f"{base}/{PreparedLink(dataclasses.replace(link.target, **changes), link.token).encode()}"


def with_token_changed(url: str) -> str:
    base, _, segment = url.rpartition("/")
    last = segment[-1]
    return f"{base}/{segment[:-1]}{'A' if last != 'A' else 'B'}"


def forged(url: str) -> str:
    """The same fields with a token of the forger's own."""
    base, _, segment = url.rpartition("/")
    return f"{base}/{PreparedLink.mint(PreparedLink.decode(segment).target).encode()}"


@on_one_stack()
def test_an_approver_approves_from_the_email_and_the_dag_continues(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    version = f"v{uuid.uuid4().hex[:8]}"
    run_id = api.trigger(EXAMPLE, conf={"version": version, "approvers": "ann@example.com"})
    mail = mailbox.wait_for(version)
    assert mail.recipients == ["ann@example.com"]
    assert mail.subject == f"Approval needed: Release {version} to production?"
    links = mail.links
    assert set(links) == {"Approve", "Reject", "Open the request in Airflow"}
    assert all(url.startswith(f"{stack.base_url}/hitl/links/") for url in links.values())
    api.wait_for_request(EXAMPLE, run_id, EXAMPLE_GATE)

    with browser() as context:
        page = logged_in_page(context, stack, "user")
        state, title = open_link(page, links["Approve"])
        assert (state, title) == ("answered", "Approve: answer recorded")

        assert api.wait_for_state(EXAMPLE, run_id, "deploy", FINISHED)["state"] == "success"
        assert api.wait_for_run(EXAMPLE, run_id) == "success"
        detail = api.get_request(EXAMPLE, run_id, EXAMPLE_GATE).json()
        assert detail["status"] == "responded"
        assert detail["chosen_options"] == ["Approve"]
        assert detail["response_channel"] == "link"
        assert detail["responded_by_user"] == {"id": "user", "name": "user"}
        assert len(respond_events(api, EXAMPLE, run_id)) == 1

        # The same link again, and the other answer's link: refused, nothing changes.
        assert open_link(page, links["Approve"]) == ("refused", "This link was already used")
        assert open_link(page, links["Reject"]) == ("refused", "This request takes no more answers")
        assert api.get_request(EXAMPLE, run_id, EXAMPLE_GATE).json() == detail
        assert len(respond_events(api, EXAMPLE, run_id)) == 1

        # The open link leads to the request's view in the Required Actions app.
        page.goto(links["Open the request in Airflow"])
        page.wait_for_url(
            f"{stack.base_url}/required_actions/dags/{EXAMPLE}/runs/{run_id}/tasks/{EXAMPLE_GATE}/-1"
        )


@on_one_stack()
def test_a_logged_out_approver_logs_in_first_and_scanners_never_act(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    run_id, links = mailed_request(api, mailbox)

    # A mail scanner or curl without the person's login: the GET is a static page, and the
    # action itself needs a login.
    page_response = httpx.get(links["Reject"], timeout=30)
    assert page_response.status_code == 200
    assert run_id not in page_response.text and "Reject" not in page_response.text
    assert "frame-ancestors 'none'" in page_response.headers["content-security-policy"]
    assert httpx.post(links["Reject"], timeout=30).status_code == 401
    assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    with browser() as context:
        page = context.new_page()
        page.goto(links["Reject"])
        page.wait_for_url("**/auth/login?next=**")
        next_url = parse_qs(urlsplit(page.url).query)["next"][0]
        assert next_url == links["Reject"]
        assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)
        log_in(page, stack.base_url, "op", stack.passwords["op"], next_url=next_url)
        page.wait_for_selector("body[data-state=answered], body[data-state=refused]", timeout=60_000)
        assert page.locator("#title").inner_text() == "Reject: answer recorded"

    assert api.wait_for_state(LINKS_DAG, run_id, "after_gate", FINISHED)["state"] == "skipped"
    detail = api.get_request(LINKS_DAG, run_id, GATE).json()
    assert (detail["chosen_options"], detail["response_channel"]) == (["Reject"], "link")
    assert detail["responded_by_user"] == {"id": "op", "name": "op"}


@on_one_stack()
def test_altered_forged_expired_and_unauthorised_links_change_nothing(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    run_id, links = mailed_request(api, mailbox)
    approve = links["Approve"]
    invalid = ("refused", "This link is not valid")

    with browser() as context:
        page = logged_in_page(context, stack, "user")
        assert open_link(page, altered(approve, chosen_options=("Reject",))) == invalid
        expires_at = PreparedLink.decode(approve.rpartition("/")[2]).target.expires_at
        assert open_link(page, altered(approve, expires_at=expires_at + 3600)) == invalid
        assert open_link(page, altered(approve, try_number=2)) == invalid
        assert open_link(page, with_token_changed(approve)) == invalid
        assert open_link(page, forged(approve)) == invalid
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        injected = f"{stack.base_url}/hitl/links/<img src=x onerror=alert(1)>.{'A' * 43}"
        assert open_link(page, injected) == invalid
        assert dialogs == []

        soon = links["Approve soon expired"]
        soon_expires_at = PreparedLink.decode(soon.rpartition("/")[2]).target.expires_at
        wait_for(lambda: time.time() > soon_expires_at, 30, "the short-lived link to expire")
        assert open_link(page, soon) == ("refused", "This link has expired")
        assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    with browser() as context:
        page = logged_in_page(context, stack, "viewer")
        assert open_link(page, approve) == ("refused", "You may not answer this request")
        assert "edit access" in page.locator("#message").inner_text()
    assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    # The genuine link still works after all that.
    assert_the_genuine_link_acts(stack, browser, run_id, approve)


@on_one_stack()
def test_links_turned_off_by_configuration_show_a_clear_page_and_change_nothing(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    run_id, links = mailed_request(api, mailbox)
    approve = links["Approve"]
    turned_off = ("refused", "Prepared links are turned off")

    with stack.extra_api_server(AIRFLOW__HITL__PREPARED_LINKS_ENABLED="False") as off_url:
        on_the_off_server = approve.replace(stack.base_url, off_url, 1)
        with browser() as context:
            page = logged_in_page(context, stack, "user", base_url=off_url)
            assert open_link(page, on_the_off_server) == turned_off
        # Not even the user's own token gets an action through.
        used = httpx.post(
            on_the_off_server, headers={"Authorization": f"Bearer {stack.token('user')}"}, timeout=30
        )
        assert used.status_code == 403 and used.json()["title"] == turned_off[1]
    assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    # The same link was genuine: where links are on, it acts.
    assert_the_genuine_link_acts(stack, browser, run_id, approve)
