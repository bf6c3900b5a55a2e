"""Prepared links end to end: a real SMTP server receives the notification, Chromium opens its links.

The stacks run with ``[hitl] prepared_links_enabled`` and send mail to :data:`SMTP_PORT`, where this
module's SMTP server listens. Links turned off by configuration are opened on a second API server
of the same stack that has them turned off.

Two kinds of link: made for a recipient (one mail per person, ``PerRecipientNotifier``), which
answers at once for that person only; made for nobody (one mail to a group), which answers only
after a click on the link page. No link answers as an admin's override.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
import re
import string
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from airflow.hitl.prepared_links import PreparedLink
from tests.system import restricted_auth_manager
from tests.system.airflow_stack import REPO_ROOT, SMTP_PORT, on_one_stack, wait_for
from tests.system.browser import log_in

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Page

    from tests.system.airflow_stack import AirflowStack, ApiClient

pytestmark = pytest.mark.system

EXAMPLE = "example_hitl_email_approval"
EXAMPLE_GATE = "approve_release"
LINKS_DAG = "hitl_links_system"
ASSIGNED_DAG = "hitl_links_assigned"
COMMENT_DAG = "hitl_links_comment"
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

    def wait_for(self, marker: str, timeout: float = 120, to: str | None = None) -> Mail:
        """The first mail whose subject contains ``marker`` (sent to ``to``, if given)."""

        def arrived() -> Mail | None:
            with self._lock:
                return next(
                    (m for m in self._mails if marker in m.subject and (to is None or m.recipients == [to])),
                    None,
                )

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


FINAL_STATES = "body[data-state=answered], body[data-state=refused]"


def open_link(page: Page, url: str, *, confirm: bool = True) -> tuple[str, str]:
    """
    Open a link in the browser; the page's final state (answered/refused) and its title. A link
    made for nobody asks first (state ``confirm``): with ``confirm`` its button is clicked, else
    the page is left asking.
    """
    page.goto(url)
    page.wait_for_selector(f"{FINAL_STATES}, body[data-state=confirm]", timeout=60_000)
    if confirm and page.locator("body").get_attribute("data-state") == "confirm":
        page.locator("#confirm").click()
        page.wait_for_selector(FINAL_STATES, timeout=60_000)
    return page.locator("body").get_attribute("data-state") or "", page.locator("#title").inner_text()


def logged_in_page(context: BrowserContext, stack: AirflowStack, user: str, base_url: str = "") -> Page:
    page = context.new_page()
    log_in(page, base_url or stack.base_url, user, stack.passwords[user])
    return page


PERSONAL = ("user", "op", "admin")  # the recipients of the personal mails of the links DAGs


@dataclass
class Mailed:
    run_id: str
    group: dict[str, str]  # the links of the mail to the group (made for nobody)
    personal: dict[str, dict[str, str]]  # recipient -> the links of their own mail


def mailed_request(api: ApiClient, mailbox: Mailbox, dag_id: str = LINKS_DAG) -> Mailed:
    """A new run of a links DAG waiting at its gate, and the links of its notification mails."""
    marker = uuid.uuid4().hex[:10]
    run_id = api.trigger(dag_id, conf={"marker": marker})
    group = mailbox.wait_for(marker, to="approvers@example.com").links
    personal = {user: mailbox.wait_for(marker, to=f"{user}@example.com").links for user in PERSONAL}
    api.wait_for_request(dag_id, run_id, GATE)
    return Mailed(run_id, group, personal)


def use(stack: AirflowStack, url: str, user: str, *, confirm: bool = False) -> httpx.Response:
    """The call the link page makes, as ``user``."""
    return httpx.post(
        url,
        headers={"Authorization": f"Bearer {stack.token(user)}"},
        json={"confirm": True} if confirm else None,
        timeout=30,
    )


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


def override_events(api: ApiClient, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    response = api.http.get(
        "/api/v2/eventLogs", params={"dag_id": dag_id, "run_id": run_id, "event": "hitl.override"}
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
def test_an_approver_approves_from_their_own_email_and_the_dag_continues(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    version = f"v{uuid.uuid4().hex[:8]}"
    run_id = api.trigger(
        EXAMPLE, conf={"version": version, "approvers": {"user": "ann@example.com", "op": "olga@example.com"}}
    )
    mail = mailbox.wait_for(version, to="ann@example.com")
    assert mail.subject == f"Approval needed: Release {version} to production?"
    links = mail.links
    assert set(links) == {"Approve", "Reject", "Open the request in Airflow"}
    assert all(url.startswith(f"{stack.base_url}/hitl/links/") for url in links.values())
    olgas = mailbox.wait_for(version, to="olga@example.com").links
    assert olgas["Approve"] != links["Approve"]
    api.wait_for_request(EXAMPLE, run_id, EXAMPLE_GATE)

    with browser() as context:
        # Ann's mail forwarded to op: op may answer the request, but not with Ann's link.
        page = logged_in_page(context, stack, "op")
        assert open_link(page, links["Approve"]) == ("refused", "This link was made for someone else")
        assert "'user'" in page.locator("#message").inner_text()
        view = page.locator("#view")
        assert view.is_visible() and view.inner_text() == "Open the request in Airflow"
        assert api.get_request(EXAMPLE, run_id, EXAMPLE_GATE).json()["status"] == "pending"

    with browser() as context:
        page = logged_in_page(context, stack, "user")
        # A link made for its reader answers at once: no second click.
        state, title = open_link(page, links["Approve"], confirm=False)
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
def test_a_link_sent_to_a_group_answers_only_after_a_click(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox)
    run_id, reject = mailed.run_id, mailed.group["Reject"]

    # The page's first call, with a login, only asks; so does a preview that runs scripts.
    asked = use(stack, reject, "user")
    assert asked.status_code == 200
    body = asked.json()
    assert (body["outcome"], body["title"]) == ("confirm", "Answer “Reject”?")
    assert body["request"]["status"] == "pending"
    with browser() as context:
        page = logged_in_page(context, stack, "user")
        assert open_link(page, reject, confirm=False) == ("confirm", "Answer “Reject”?")
        assert page.locator("#confirm").inner_text() == "Answer “Reject”"
    assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    with browser() as context:
        page = logged_in_page(context, stack, "user")
        assert open_link(page, reject) == ("answered", "Reject: answer recorded")
    assert api.wait_for_state(LINKS_DAG, run_id, "after_gate", FINISHED)["state"] == "skipped"
    assert len(respond_events(api, LINKS_DAG, run_id)) == 1


@on_one_stack()
def test_a_link_whose_answer_needs_a_reason_asks_for_it_first(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox, COMMENT_DAG)
    run_id, reject = mailed.run_id, mailed.personal["user"]["Reject"]

    # Made for its reader, yet it does not answer without the reason, confirmed or not.
    for confirm in (False, True):
        asked = use(stack, reject, "user", confirm=confirm)
        assert asked.status_code == 200, asked.text
        assert (asked.json()["outcome"], asked.json()["comment_required"]) == ("confirm", True)
    assert_nothing_recorded(api, COMMENT_DAG, run_id, GATE)

    with browser() as context:
        page = logged_in_page(context, stack, "user")
        assert open_link(page, reject, confirm=False) == ("confirm", "Answer “Reject”?")
        assert page.locator("#comment-label").inner_text() == "Comment (required)"
        page.locator("#confirm").click()
        assert page.locator("#comment-error").inner_text() == "Please say why: this answer needs a comment."
        assert page.locator("body").get_attribute("data-state") == "confirm"
        page.locator("#comment").fill("The release notes are missing.")
        page.locator("#confirm").click()
        page.wait_for_selector(FINAL_STATES, timeout=60_000)
        assert page.locator("#title").inner_text() == "Reject: answer recorded"
    assert api.wait_for_state(COMMENT_DAG, run_id, "after_comment_gate", FINISHED)["state"] == "skipped"
    detail = api.get_request(COMMENT_DAG, run_id, GATE).json()
    assert (detail["comment"], detail["response_channel"]) == ("The release notes are missing.", "link")
    assert api.xcom(COMMENT_DAG, run_id, GATE)["comment"] == "The release notes are missing."


@on_one_stack()
def test_no_link_answers_as_an_admins_override(stack: AirflowStack, mailbox: Mailbox, browser: Any) -> None:
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox, ASSIGNED_DAG)
    run_id = mailed.run_id

    # The request is assigned to op; the admin could override it in Airflow, but not by a link:
    # neither with the group's link nor with one made for the admin.
    for link in (mailed.group["Approve"], mailed.personal["admin"]["Approve"]):
        refused = use(stack, link, "admin", confirm=True)
        assert refused.status_code == 403
        body = refused.json()
        assert body["title"] == "You may not answer this request"
        assert "override" in body["message"]
    with browser() as context:
        page = logged_in_page(context, stack, "admin")
        assert open_link(page, mailed.personal["admin"]["Approve"]) == (
            "refused",
            "You may not answer this request",
        )
    assert_nothing_recorded(api, ASSIGNED_DAG, run_id, GATE)
    assert override_events(api, ASSIGNED_DAG, run_id) == []

    # The assignee's own link acts.
    assert use(stack, mailed.personal["op"]["Approve"], "op").json()["outcome"] == "answered"
    detail = api.get_request(ASSIGNED_DAG, run_id, GATE).json()
    assert (detail["responded_by_user"]["id"], detail["override"]) == ("op", False)


@on_one_stack()
def test_a_user_who_may_not_read_the_dag_learns_nothing_from_a_link(
    stack: AirflowStack, mailbox: Mailbox
) -> None:
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox)
    run_id = mailed.run_id
    assert use(stack, mailed.personal["op"]["Approve"], "op").json()["outcome"] == "answered"

    # An API server of the same stack whose auth manager lets OUTSIDER read no DAG.
    with stack.extra_api_server(
        AIRFLOW__CORE__AUTH_MANAGER=restricted_auth_manager.CLASS_PATH,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    ) as url:
        outsider = {"Authorization": f"Bearer {stack.token(restricted_auth_manager.OUTSIDER)}"}
        for name, link in [
            ("used link", mailed.personal["op"]["Approve"]),
            ("someone else's link", mailed.personal["user"]["Reject"]),
            ("group link", mailed.group["Reject"]),
            ("open link", mailed.group["Open"]),
        ]:
            refused = httpx.post(
                link.replace(stack.base_url, url, 1), headers=outsider, json={"confirm": True}
            )
            assert refused.status_code == 403, (name, refused.text)
            body = refused.json()
            assert (body["title"], body["request"]) == ("You may not see this request", None), name
            for detail in ("op", "user", "Approve", "Reject", "answered", "assigned", run_id):
                assert detail not in body["message"], (name, detail, body["message"])
        # A reader on the same server is told what happened.
        reader = httpx.post(
            mailed.personal["op"]["Approve"].replace(stack.base_url, url, 1),
            headers={"Authorization": f"Bearer {stack.token('viewer')}"},
            timeout=30,
        )
        assert reader.status_code == 403 and reader.json()["title"] == "This link was made for someone else"
        assert reader.json()["request"]["responded_by"]["id"] == "op"


@on_one_stack()
def test_a_logged_out_approver_logs_in_first_and_scanners_never_act(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox)
    run_id, reject = mailed.run_id, mailed.personal["op"]["Reject"]

    # A mail scanner or curl without the person's login: the GET is a static page, and the
    # action itself needs a login.
    page_response = httpx.get(reject, timeout=30)
    assert page_response.status_code == 200
    assert run_id not in page_response.text and "Reject" not in page_response.text
    assert "frame-ancestors 'none'" in page_response.headers["content-security-policy"]
    assert httpx.post(reject, timeout=30).status_code == 401
    assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    with browser() as context:
        page = context.new_page()
        page.goto(reject)
        page.wait_for_url("**/auth/login?next=**")
        next_url = parse_qs(urlsplit(page.url).query)["next"][0]
        assert next_url == reject
        assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)
        log_in(page, stack.base_url, "op", stack.passwords["op"], next_url=next_url)
        page.wait_for_selector(FINAL_STATES, timeout=60_000)
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
    mailed = mailed_request(api, mailbox)
    run_id, links = mailed.run_id, mailed.group
    approve = links["Approve"]
    invalid = ("refused", "This link is not valid")

    with browser() as context:
        page = logged_in_page(context, stack, "user")
        assert open_link(page, altered(approve, chosen_options=("Reject",))) == invalid
        expires_at = PreparedLink.decode(approve.rpartition("/")[2]).target.expires_at
        assert open_link(page, altered(approve, expires_at=expires_at + 3600)) == invalid
        assert open_link(page, altered(approve, try_number=2)) == invalid
        assert open_link(page, altered(approve, recipient="user")) == invalid
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
def test_no_change_of_a_genuine_link_acts(stack: AirflowStack, mailbox: Mailbox) -> None:
    """
    Every single-character change of a genuine link, and every field of one genuine link swapped
    into another, is refused; after all of them the genuine links still act.
    """
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox)
    run_id = mailed.run_id
    mine, group = mailed.personal["user"]["Approve"], mailed.group["Reject"]
    base, _, segment = mine.rpartition("/")
    alphabet = string.ascii_letters + string.digits + "-_."

    variants: set[str] = set()
    for position, char in enumerate(segment):
        # One replacement per position, walking the alphabet so every character is tried.
        replacement = alphabet[position % len(alphabet)]
        if replacement == char:
            replacement = alphabet[(position + 1) % len(alphabet)]
        variants.add(segment[:position] + replacement + segment[position + 1 :])
    variants.update({segment[:-1], segment + "A", segment[1:]})
    a, b = PreparedLink.decode(segment), PreparedLink.decode(group.rpartition("/")[2])
    for name in (
        "dag_id",
        "run_id",
        "task_id",
        "map_index",
        "try_number",
        "action",
        "expires_at",
        "chosen_options",
        "params_input",
        "recipient",
    ):
        for target, other, token in ((a.target, b.target, a.token), (b.target, a.target, b.token)):
            if getattr(target, name) != getattr(other, name):
                swapped = dataclasses.replace(target, **{name: getattr(other, name)})
                variants.add(PreparedLink(swapped, token).encode())
    variants.add(PreparedLink(a.target, b.token).encode())
    variants.add(PreparedLink(b.target, a.token).encode())
    variants -= {segment, group.rpartition("/")[2]}

    token = stack.token("user")
    statuses: dict[int, int] = {}
    started = time.monotonic()
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for variant in sorted(variants):
            response = client.post(f"{base}/{variant}", json={"confirm": True})
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in (400, 404, 422), (variant, response.status_code, response.text)
    print(
        f"\n{len(variants)} changed links refused in {time.monotonic() - started:.1f} s: "
        f"{dict(sorted(statuses.items()))}"
    )
    assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    assert use(stack, mine, "user").json()["outcome"] == "answered"
    assert api.wait_for_state(LINKS_DAG, run_id, "after_gate", FINISHED)["state"] == "success"


@on_one_stack()
def test_links_turned_off_by_configuration_show_a_clear_page_and_change_nothing(
    stack: AirflowStack, mailbox: Mailbox, browser: Any
) -> None:
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox)
    run_id, approve = mailed.run_id, mailed.group["Approve"]
    turned_off = ("refused", "Prepared links are turned off")

    with stack.extra_api_server(AIRFLOW__HITL__PREPARED_LINKS_ENABLED="False") as off_url:
        on_the_off_server = approve.replace(stack.base_url, off_url, 1)
        with browser() as context:
            page = logged_in_page(context, stack, "user", base_url=off_url)
            assert open_link(page, on_the_off_server) == turned_off
        # Not even the user's own token gets an action through.
        used = httpx.post(
            on_the_off_server,
            headers={"Authorization": f"Bearer {stack.token('user')}"},
            json={"confirm": True},
            timeout=30,
        )
        assert used.status_code == 403 and used.json()["title"] == turned_off[1]
    assert_nothing_recorded(api, LINKS_DAG, run_id, GATE)

    # The same link was genuine: where links are on, it acts.
    assert_the_genuine_link_acts(stack, browser, run_id, approve)
