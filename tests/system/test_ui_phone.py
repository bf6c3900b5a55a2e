"""Required Actions on a phone: Chromium at 390x844 against a real Airflow with the feature.

A responder who gets a notification on the way answers on a phone. At that width the prepared-link
page, the inbox and the response view must not scroll sideways, and every control must be a touch
target of at least 44 px height (WCAG 2.5.5's size). The tests write the phone screenshots used in
``docs/ui.md``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from tests.system.airflow_stack import on_one_stack
from tests.system.test_prepared_links import LINKS_DAG, mailbox, mailed_request, open_link
from tests.system.test_ui_e2e import (
    FINISHED,
    UI_TIMEOUT_MS,
    open_request,
    response_view,
    screenshot,
    signed_in_page,
    start_request,
    ui_built,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from playwright.sync_api import BrowserContext, Page

    from tests.system.airflow_stack import AirflowStack
    from tests.system.test_prepared_links import Mailbox

    Browser = Callable[..., AbstractContextManager[BrowserContext]]

pytestmark = [pytest.mark.system, on_one_stack()]

# Both fixtures are used by this module's tests: the built app, and the SMTP server for the links.
__all__ = ["mailbox", "ui_built"]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
MIN_TOUCH_PX = 44
SCREEN = {"x": 0, "y": 0, "width": 390, "height": 844}

# Controls a responder taps: buttons, links styled as buttons, tabs, form fields.
CONTROLS = "button, [role=tab], a.button, input:not([type=hidden]), select, textarea"


def assert_fits_the_width(page: Page) -> None:
    """Nothing wider than the screen: the page does not scroll sideways."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (
        f"the page scrolls sideways: {widths[0]} px of content, {widths[1]} px wide"
    )


def small_controls(page: Page, within: str = "body") -> list[str]:
    """Visible controls under ``within`` lower than :data:`MIN_TOUCH_PX` (their names and heights)."""
    return page.evaluate(
        """([within, selector, min]) => Array.from(document.querySelectorAll(within + ' ' + selector.split(', ').join(', ' + within + ' ')))
            .filter((el) => el.offsetParent !== null && el.getClientRects().length > 0)
            .filter((el) => el.type !== 'checkbox' && el.type !== 'radio')
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([, box]) => box.height < min)
            .map(([el, box]) => `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') || el.textContent || el.name || '').trim().slice(0, 40)}": ${box.height.toFixed(0)} px`)""",
        [within, CONTROLS, MIN_TOUCH_PX],
    )


def assert_reachable(page: Page, name: str) -> None:
    """The button ``name`` is on the screen's width (scrolled into view, fully inside it)."""
    button = page.get_by_role("button", name=name, exact=True)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None, f"button {name!r} is not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"button {name!r} is off the screen: {box}"
    assert box["height"] >= MIN_TOUCH_PX, f"button {name!r} is {box['height']:.0f} px high"


@on_one_stack()
def test_a_prepared_link_asks_and_answers_on_a_phone(
    stack: AirflowStack, mailbox: Mailbox, browser: Browser
) -> None:
    api = stack.client("admin")
    mailed = mailed_request(api, mailbox)

    with browser(**PHONE) as context:
        page = signed_in_page(context, stack, "user")
        assert open_link(page, mailed.group["Approve"], confirm=False) == ("confirm", "Answer “Approve”?")
        assert_fits_the_width(page)
        assert small_controls(page) == []
        assert_reachable(page, "Answer “Approve”")
        screenshot(page, "phone-prepared-link.png")

        page.get_by_role("button", name="Answer “Approve”", exact=True).tap()
        page.wait_for_selector("body[data-state=answered]", timeout=60_000)
        assert_fits_the_width(page)
        assert small_controls(page) == []

    assert api.wait_for_state(LINKS_DAG, mailed.run_id, "after_gate", FINISHED)["state"] == "success"


@on_one_stack()
def test_the_inbox_fits_a_phone_and_opens_a_request(stack: AirflowStack, browser: Browser) -> None:
    dag_id, task_id, subject = "hitl_ui_approval", "approve_report", "Publish the quarterly report?"
    start_request(stack, dag_id, task_id)

    with browser(**PHONE) as context:
        page = signed_in_page(
            context, stack, "op", next_url=f"{stack.base_url}/required_actions?view=pending"
        )
        started = time.monotonic()
        page.get_by_role("heading", level=1, name="Required Actions").wait_for()
        request = page.get_by_role("link", name=subject).first
        request.wait_for()
        print(f"\ninbox shown on the phone after {time.monotonic() - started:.1f} s")
        assert_fits_the_width(page)
        assert small_controls(page, "#hitl-app") == []
        screenshot(page, "phone-inbox.png", clip=SCREEN)

        request.tap()
        page.get_by_role("heading", level=1, name=subject).wait_for(timeout=UI_TIMEOUT_MS)
        assert_fits_the_width(page)


@on_one_stack()
def test_a_form_is_filled_in_and_sent_on_a_phone(stack: AirflowStack, browser: Browser) -> None:
    dag_id, task_id = "hitl_ui_form", "order_details"
    admin, run_id, _ = start_request(stack, dag_id, task_id)

    with browser(**PHONE) as context:
        page = signed_in_page(context, stack, "user")
        open_request(page, response_view(stack, dag_id, run_id, task_id), "Fill in the print order")
        page.get_by_label("Copies").wait_for()
        assert_fits_the_width(page)
        assert small_controls(page, "#hitl-app") == []
        assert_reachable(page, "OK")
        screenshot(page, "phone-respond.png", clip=SCREEN)

        page.get_by_label("Copies").fill("2")
        page.get_by_label("Paper size").select_option(label="Letter")
        page.get_by_label("Recipient").fill("Front desk")
        page.get_by_role("button", name="OK", exact=True).tap()
        page.get_by_role("status").filter(has_text="Your answer was recorded.").wait_for()
        assert_fits_the_width(page)

    assert admin.wait_for_state(dag_id, run_id, "print_order", FINISHED)["state"] == "success"
    assert admin.xcom(dag_id, run_id, "print_order") == {
        "copies": 2,
        "paper": "Letter",
        "recipient": "Front desk",
    }
