"""Required Actions in a real browser: Debian's Chromium against a real Airflow with the feature.

Each test signs in through Airflow's own login page, works in the UI like a person would, and
checks the outcome through the REST API (what was recorded, which tasks ran). The pages are
found by their accessible names (roles, labels, option labels), which is also how assistive
technology finds them. The tests also write the screenshots used in ``docs/ui.md``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from airflow.hitl.prepared_links import request_view_path
from tests.system.airflow_stack import REPO_ROOT, on_one_stack
from tests.system.browser import log_in, submit_login

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from playwright.sync_api import BrowserContext, FloatRect, Page

    from tests.system.airflow_stack import AirflowStack, ApiClient

    Browser = Callable[..., AbstractContextManager[BrowserContext]]

pytestmark = pytest.mark.system

UI_DIST = REPO_ROOT / "airflow-core/src/airflow/hitl/ui_dist"
AXE_SCRIPT = REPO_ROOT / "ui/node_modules/axe-core/axe.min.js"
SCREENSHOTS = REPO_ROOT / "docs/img"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FINISHED = {"success", "skipped", "failed", "upstream_failed"}
VIEWPORT = {"width": 1280, "height": 800}
# Above Playwright's default of 30 s: on a busy 2-core machine a page with its API calls can be slow.
UI_TIMEOUT_MS = 45_000


@pytest.fixture(scope="module", autouse=True)
def ui_built() -> None:
    """The tests need the built app; without it they fail and say how to build it."""
    if not (UI_DIST / "index.html").is_file():
        pytest.fail(
            f"The Required Actions app is not built ({UI_DIST}/index.html): run scripts/run.sh or "
            "`npm --prefix ui ci && npm --prefix ui run build`"
        )


def response_view(stack: AirflowStack, dag_id: str, run_id: str, task_id: str) -> str:
    return stack.base_url + request_view_path(dag_id, run_id, task_id, -1)


def open_request(page: Page, url: str, subject: str) -> None:
    """Open a request's page and wait until it shows the request (its subject as the heading)."""
    page.goto(url)
    page.get_by_role("heading", level=1, name=subject).wait_for(timeout=UI_TIMEOUT_MS)


def start_request(stack: AirflowStack, dag_id: str, task_id: str) -> tuple[ApiClient, str, dict[str, Any]]:
    """Trigger ``dag_id`` and wait until its HITL task's request is visible; (admin client, run, request)."""
    admin = stack.client("admin")
    run_id = admin.trigger(dag_id)
    return admin, run_id, admin.wait_for_request(dag_id, run_id, task_id)


def signed_in_page(
    context: BrowserContext, stack: AirflowStack, user: str, next_url: str | None = None
) -> Page:
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    log_in(page, stack.base_url, user, stack.passwords[user], next_url=next_url)
    return page


def screenshot(page: Page, name: str, clip: FloatRect | None = None) -> None:
    """A screenshot for the docs (``docs/img/``): the whole page, or the ``clip`` region."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if clip is None:
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
    else:
        page.screenshot(path=str(SCREENSHOTS / name), clip=clip)


def assert_dora_approved_in_the_ui(admin: ApiClient, dag_id: str, run_id: str, task_id: str) -> None:
    """Dora's one-click "Approve" is recorded as hers, through the UI, and the DAG went on."""
    recorded = admin.get_request(dag_id, run_id, task_id).json()
    assert (recorded["status"], recorded["chosen_options"], recorded["response_channel"]) == (
        "responded",
        ["Approve"],
        "ui",
    )
    assert recorded["responded_by_user"]["id"] == "dora"
    assert admin.wait_for_state(dag_id, run_id, "publish_for_dora", FINISHED)["state"] == "success"


@on_one_stack()
def test_signing_in_shows_the_nav_entry_with_my_pending_count_and_it_leads_to_the_inbox(
    stack: AirflowStack, browser: Browser
) -> None:
    start_request(stack, "hitl_ui_assigned", "for_alice")
    pending_for_alice = stack.client("alice").http.get("/api/v2/hitl/counts").json()["pending_for_me"]
    assert pending_for_alice >= 1

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "alice")
        # Airflow's own home page, with the entry added next to its nav buttons.
        page.get_by_role("link", name="Dags").first.wait_for()
        entry = page.get_by_role("link", name="Required Actions")
        entry.wait_for()
        expect(entry.locator("[data-hitl-nav-count]")).to_have_text(str(pending_for_alice))
        expect(entry).not_to_have_attribute("aria-current", "page")
        expect(entry).to_have_accessible_name(f"Required Actions ({pending_for_alice} pending for you)")
        # The navigation bar and a little of Airflow's home page around it.
        screenshot(page, "airflow-nav-entry.png", clip={"x": 0, "y": 0, "width": 480, "height": 460})

        # A click opens the quick-action drawer; its footer leads to the inbox.
        entry.click()
        drawer = page.get_by_role("dialog", name="Pending for me")
        drawer.get_by_role("link", name="Alice, sign off the release?").first.wait_for()
        drawer.get_by_role("link", name="Required Actions").click()
        page.wait_for_url(f"{stack.base_url}/required_actions**")
        page.get_by_role("heading", level=1, name="Required Actions").wait_for()
        page.get_by_role("link", name="Alice, sign off the release?").first.wait_for()
        # Inside Airflow's page: its navigation stays, with the entry shown as the current page.
        page.get_by_role("link", name="Dags").first.wait_for()
        expect(page.locator("#hitl-required-actions-nav")).to_have_attribute("aria-current", "page")
        # Back to an Airflow page through its own rail (no reload): the entry is current no more.
        page.get_by_role("link", name="Dags").first.click()
        page.wait_for_url(f"{stack.base_url}/dags**")
        expect(page.locator("#hitl-required-actions-nav")).not_to_have_attribute("aria-current", "page")


@on_one_stack()
def test_a_request_is_answered_from_the_quick_action_drawer_on_airflows_home_page(
    stack: AirflowStack, browser: Browser
) -> None:
    dag_id, task_id, subject = "hitl_ui_drawer", "approve_report", "Publish the quarterly report?"
    admin, run_id, _ = start_request(stack, dag_id, task_id)

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "dora")
        page.get_by_role("link", name="Required Actions").click()
        drawer = page.get_by_role("dialog", name="Pending for me")
        item = drawer.get_by_role("listitem").filter(has_text=run_id)
        item.get_by_role("link", name=subject).wait_for()
        screenshot(page, "quick-action-drawer.png")
        item.get_by_role("button", name="Approve", exact=True).click()
        item.get_by_role("status").filter(has_text="Answered “Approve”").wait_for()

    assert_dora_approved_in_the_ui(admin, dag_id, run_id, task_id)


@on_one_stack()
def test_the_inbox_sits_in_airflows_page_in_light_and_dark_mode(
    stack: AirflowStack, browser: Browser
) -> None:
    start_request(stack, "hitl_ui_form", "order_details")
    for mode in ("light", "dark"):
        with browser(viewport=VIEWPORT) as context:
            # Airflow's colour-mode setting (next-themes' storage key), as its user menu sets it.
            context.add_init_script(f"window.localStorage.setItem('theme', '{mode}')")
            page = signed_in_page(
                context, stack, "admin", next_url=f"{stack.base_url}/required_actions?view=pending"
            )
            page.get_by_role("link", name="Fill in the print order").first.wait_for()
            assert page.evaluate("() => document.documentElement.classList.contains('dark')") is (
                mode == "dark"
            )
            # Airflow's rail and the app side by side: the app starts right of the rail.
            rail = page.get_by_role("link", name="Dags").first.bounding_box()
            app = page.locator("#hitl-app").bounding_box()
            assert rail is not None and app is not None
            assert app["x"] >= rail["x"] + rail["width"]
            background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            print(f"\n{mode}: body background {background}")
            screenshot(
                page,
                f"required-actions-inbox-{mode}.png",
                clip={"x": 0, "y": 0, "width": 1280, "height": 800},
            )


@on_one_stack()
def test_a_signed_out_visitor_goes_through_airflows_login_and_comes_back(
    stack: AirflowStack, browser: Browser
) -> None:
    url = response_view(stack, "no_such_dag", "no_such_run", "no_such_task")
    with browser(viewport=VIEWPORT) as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(url)
        page.wait_for_url(f"{stack.base_url}/auth/login**")
        submit_login(page, "viewer", stack.passwords["viewer"])
        assert page.url == url
        page.get_by_role("heading", level=1, name="Request not found").wait_for()


@on_one_stack()
def test_approving_in_the_browser_resumes_the_dag_and_others_then_see_the_answer_read_only(
    stack: AirflowStack, browser: Browser
) -> None:
    dag_id, task_id, subject = "hitl_ui_approval", "approve_report", "Publish the quarterly report?"
    admin, run_id, _ = start_request(stack, dag_id, task_id)
    url = response_view(stack, dag_id, run_id, task_id)

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "op")
        open_request(page, url, subject)
        page.get_by_role("button", name="Approve", exact=True).click()
        page.get_by_role("status").filter(has_text="Your answer was recorded.").wait_for()

    recorded = admin.get_request(dag_id, run_id, task_id).json()
    assert recorded["status"] == "responded"
    assert recorded["chosen_options"] == ["Approve"]
    assert recorded["responded_by_user"]["id"] == "op"
    assert recorded["response_channel"] == "ui"
    assert admin.wait_for_state(dag_id, run_id, "publish", FINISHED)["state"] == "success"

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "viewer")
        open_request(page, url, subject)
        summary = page.get_by_test_id("answer-summary")
        summary.wait_for()
        text = summary.inner_text()
        assert "Answered by op through the web UI" in text
        assert "Approve" in text
        # When: the summary shows the answer time; the exact wording is the app's (relative or absolute).
        assert summary.locator("time").count() >= 1
        assert page.get_by_role("button", name="Approve", exact=True).count() == 0
        assert page.get_by_role("button", name="Reject", exact=True).count() == 0


@on_one_stack()
def test_choosing_a_branch_runs_that_branch_and_skips_the_other(
    stack: AirflowStack, browser: Browser
) -> None:
    dag_id, task_id = "hitl_ui_branch", "choose_route"
    admin, run_id, _ = start_request(stack, dag_id, task_id)

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "user")
        open_request(
            page, response_view(stack, dag_id, run_id, task_id), "Which route should the order take?"
        )
        page.get_by_role("button", name="Full review", exact=True).click()
        page.get_by_role("status").filter(has_text="Your answer was recorded.").wait_for()

    assert admin.wait_for_state(dag_id, run_id, "full_review", FINISHED)["state"] == "success"
    assert admin.wait_for_state(dag_id, run_id, "fast_lane", FINISHED)["state"] == "skipped"
    assert admin.get_request(dag_id, run_id, task_id).json()["chosen_options"] == ["Full review"]


@on_one_stack()
def test_an_invalid_form_value_is_shown_and_not_recorded_then_valid_values_reach_downstream(
    stack: AirflowStack, browser: Browser
) -> None:
    dag_id, task_id = "hitl_ui_form", "order_details"
    admin, run_id, _ = start_request(stack, dag_id, task_id)

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "user")
        open_request(page, response_view(stack, dag_id, run_id, task_id), "Fill in the print order")
        copies = page.get_by_label("Copies")
        copies.fill("11")  # the maximum is 10
        page.get_by_label("Paper size").select_option(label="Letter")
        page.get_by_label("Recipient").fill("Finance team")
        page.get_by_role("button", name="OK", exact=True).click()

        page.get_by_role("alert").first.wait_for()
        field_error = page.locator('[data-field="copies"]').get_by_text("10")
        field_error.wait_for()
        assert copies.get_attribute("aria-invalid") == "true"
        still_pending = admin.get_request(dag_id, run_id, task_id).json()
        assert still_pending["status"] == "pending"
        assert still_pending["response_received"] is False

        copies.fill("3")
        page.get_by_role("button", name="OK", exact=True).click()
        page.get_by_role("status").filter(has_text="Your answer was recorded.").wait_for()

    assert admin.wait_for_state(dag_id, run_id, "print_order", FINISHED)["state"] == "success"
    assert admin.xcom(dag_id, run_id, "print_order") == {
        "copies": 3,
        "paper": "Letter",
        "recipient": "Finance team",
    }


@on_one_stack()
def test_a_user_who_is_not_assigned_cannot_respond_and_is_told_why(
    stack: AirflowStack, browser: Browser
) -> None:
    dag_id, task_id = "hitl_ui_assigned", "for_alice"
    admin, run_id, _ = start_request(stack, dag_id, task_id)

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "bob")
        open_request(page, response_view(stack, dag_id, run_id, task_id), "Alice, sign off the release?")
        reason = page.get_by_test_id("read-only-reason")
        reason.wait_for()
        text = reason.inner_text()
        assert "You cannot answer this request" in text
        assert "alice" in text.lower()
        assert page.get_by_role("button", name="Approve", exact=True).count() == 0

    assert admin.get_request(dag_id, run_id, task_id).json()["status"] == "pending"


@on_one_stack()
def test_a_malicious_request_body_runs_nothing(stack: AirflowStack, browser: Browser) -> None:
    dag_id, task_id = "hitl_ui_malicious", "review_payload"
    _, run_id, request = start_request(stack, dag_id, task_id)

    # Without the page's Content-Security-Policy, so that the app's own rendering is what is
    # tested (the policy would block inline scripts even if the app rendered them).
    with browser(viewport=VIEWPORT, bypass_csp=True) as context:
        page = signed_in_page(context, stack, "admin")
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        open_request(page, response_view(stack, dag_id, run_id, task_id), request["subject"])
        body = page.get_by_test_id("request-body")
        body.get_by_text("payload", exact=False).first.wait_for()
        for text in ("a harmless-looking link", "another link"):
            candidates = body.get_by_text(text, exact=False)
            if candidates.count():
                candidates.first.click()
        page.wait_for_timeout(500)  # give anything that was triggered the chance to run

        assert page.evaluate("() => window.__pwned") is None
        assert dialogs == []
        assert body.locator("script, img[onerror], [onerror]").count() == 0
        assert page.locator('a[href^="javascript:" i]').count() == 0
        # The page still works: the request can be answered (and leaves the pending list).
        page.get_by_role("button", name="Reject", exact=True).click()
        page.get_by_role("status").filter(has_text="Your answer was recorded.").wait_for()
        assert page.evaluate("() => window.__pwned") is None


@on_one_stack()
def test_the_task_instance_page_links_to_the_request(stack: AirflowStack, browser: Browser) -> None:
    dag_id, task_id = "hitl_ui_assigned", "for_alice"
    admin, run_id, _ = start_request(stack, dag_id, task_id)
    expected = response_view(stack, dag_id, run_id, task_id)
    links = admin.http.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/links").json()
    assert links["extra_links"] == {"Required Action": expected}

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(
            context,
            stack,
            "alice",
            next_url=f"{stack.base_url}/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/details",
        )
        link = page.get_by_role("link", name="Required Action", exact=True)
        assert link.get_attribute("href") == expected
        with context.expect_page() as opened:
            link.click()
        request_page = opened.value
        request_page.get_by_role("heading", level=1, name="Alice, sign off the release?").wait_for(
            timeout=UI_TIMEOUT_MS
        )
        request_page.get_by_role("button", name="Approve", exact=True).wait_for()


@on_one_stack()
def test_a_request_is_answered_from_its_task_instance_page(stack: AirflowStack, browser: Browser) -> None:
    dag_id, task_id, subject = "hitl_ui_drawer", "approve_report", "Publish the quarterly report?"
    admin, run_id, _ = start_request(stack, dag_id, task_id)
    task_page = f"{stack.base_url}/dags/{dag_id}/runs/{run_id}/tasks/{task_id}"

    with browser(viewport=VIEWPORT) as context:
        # Alice may read the DAG but is not assigned: the panel says so, with no buttons.
        page = signed_in_page(context, stack, "alice", next_url=task_page)
        panel = page.get_by_role("region", name="Required action")
        panel.get_by_text(subject).wait_for()
        expect(panel.get_by_role("button")).to_have_count(0)
        expect(panel).to_contain_text("You may not answer: this request is assigned to users")

    with browser(viewport=VIEWPORT) as context:
        page = signed_in_page(context, stack, "dora", next_url=task_page)
        panel = page.get_by_role("region", name="Required action")
        panel.get_by_text(subject).wait_for()
        # Airflow's task instance page stays around it (its tabs).
        page.get_by_role("link", name="Details", exact=True).first.wait_for()
        screenshot(page, "task-instance-panel.png", clip={"x": 0, "y": 0, "width": 1280, "height": 420})
        panel.get_by_role("button", name="Approve", exact=True).click()
        panel.get_by_role("status").filter(has_text="Answered “Approve”").wait_for()

        # A task that asks nothing gets no panel (its request lookup is a 404).
        other_task = "publish_for_dora"
        admin.wait_for_state(dag_id, run_id, other_task, FINISHED)
        with page.expect_response(lambda r: f"/taskInstances/{other_task}/-1/hitlDetails" in r.url) as lookup:
            page.goto(f"{stack.base_url}/dags/{dag_id}/runs/{run_id}/tasks/{other_task}")
        assert lookup.value.status == 404
        page.get_by_role("link", name="Details", exact=True).first.wait_for()
        expect(page.get_by_role("region", name="Required action")).to_have_count(0)

    assert_dora_approved_in_the_ui(admin, dag_id, run_id, task_id)


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations of impact serious or critical in the app's part of the
    page (``#hitl-app``); Airflow's own navigation around it is Airflow's markup, not ours."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        "tags => axe.run('#hitl-app', {runOnly: {type: 'tag', values: tags}})",
        WCAG_21_AA,
    )
    # Shown with ``pytest -rP``: every violation, so moderate and minor ones are visible too.
    print(page.url, [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"]])
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@on_one_stack()
def test_inbox_and_response_view_have_no_serious_accessibility_violations(
    stack: AirflowStack, browser: Browser
) -> None:
    if not AXE_SCRIPT.is_file():
        pytest.fail(f"axe-core is missing ({AXE_SCRIPT}): run `npm --prefix ui ci`")
    dag_id, task_id = "hitl_ui_form", "order_details"
    _, run_id, _ = start_request(stack, dag_id, task_id)

    # axe is injected as an inline script, which the app's Content-Security-Policy would block.
    with browser(viewport=VIEWPORT, bypass_csp=True) as context:
        page = signed_in_page(
            context, stack, "admin", next_url=f"{stack.base_url}/required_actions?view=pending"
        )
        page.get_by_role("heading", level=1, name="Required Actions").wait_for()
        page.get_by_role("link", name="Fill in the print order").first.wait_for()
        inbox = serious_violations(page)
        screenshot(page, "required-actions-inbox.png")

        open_request(page, response_view(stack, dag_id, run_id, task_id), "Fill in the print order")
        page.get_by_label("Copies").wait_for()
        respond = serious_violations(page)
        screenshot(page, "required-actions-respond.png")

    assert inbox == [], "inbox:\n" + json.dumps(inbox, indent=2)
    assert respond == [], "response view:\n" + json.dumps(respond, indent=2)
