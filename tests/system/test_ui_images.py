"""Images in request bodies, in a real browser: opening a request tells no third party about it.

The request body (``dags/hitl_image_dags.py``) has an image from another host, an inline
``data:`` image and an image of the API server's own origin. With ``[hitl] allowed_image_hosts``
unset, the page's Content-Security-Policy allows images from the own origin and ``data:`` only,
the app renders the other host's image as its alt text with a note, and Chromium sends that
host no request; the inline and same-origin images are shown.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from airflow.hitl.prepared_links import request_view_path
from tests.system.airflow_stack import REPO_ROOT, on_one_stack
from tests.system.browser import log_in

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import AbstractContextManager

    from playwright.sync_api import BrowserContext

    from tests.system.airflow_stack import AirflowStack

    Browser = Callable[..., AbstractContextManager[BrowserContext]]

pytestmark = [pytest.mark.system, on_one_stack()]

UI_DIST = REPO_ROOT / "airflow-core/src/airflow/hitl/ui_dist"
DAG_ID, TASK_ID, SUBJECT = "hitl_ui_images", "review_chart", "Does the chart look right?"
UI_TIMEOUT_MS = 45_000


def directive(policy: str, name: str) -> list[str]:
    """The sources of one directive of a Content-Security-Policy header."""
    for part in policy.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    raise AssertionError(f"no {name} in {policy!r}")


def image_loaded(alt: str) -> str:
    """A page function: the image with ``alt`` is complete and has pixels."""
    selector = json.dumps(f'img[alt="{alt}"]')
    return f"() => {{ const img = document.querySelector({selector}); return img?.complete && img.naturalWidth > 0; }}"


def test_a_body_image_from_another_host_is_not_requested_while_inline_and_own_images_show(
    stack: AirflowStack, browser: Browser
) -> None:
    if not (UI_DIST / "index.html").is_file():
        pytest.fail(f"The Required Actions app is not built ({UI_DIST}/index.html): run scripts/run.sh")
    admin = stack.client("admin")
    run_id = admin.trigger(DAG_ID)
    admin.wait_for_request(DAG_ID, run_id, TASK_ID)
    url = stack.base_url + request_view_path(DAG_ID, run_id, TASK_ID, -1)

    with browser(viewport={"width": 1280, "height": 800}) as context:
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        log_in(page, stack.base_url, "admin", stack.passwords["admin"], next_url=url)
        response = page.goto(url)
        assert response is not None
        assert directive(response.headers["content-security-policy"], "img-src") == ["'self'", "data:"]

        page.get_by_role("heading", level=1, name=SUBJECT).wait_for()
        page.wait_for_function(image_loaded("green square"))
        page.wait_for_function(image_loaded("app icon"))
        page.wait_for_load_state("networkidle")

        assert page.locator('img[src*="tracker.example"]').count() == 0
        blocked = page.locator("[data-blocked-image]")
        assert blocked.inner_text() == "pixel (image from tracker.example, not loaded)"
        print(f"\nrequests made while the request was open: {len(requested)}")
    assert [u for u in requested if "tracker.example" in u] == []
