"""Debian's Chromium driven by Playwright, for the browser tests.

A test tool's own browser download does not work on a closed network, so the tests use the
system's ``/usr/bin/chromium`` (``scripts/test.sh`` installs it with apt when it may). Each
context gets a new, empty profile directory: no cookie or ``localStorage`` leaks between users.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Page, Playwright

CHROMIUM = os.environ.get("HITL_CHROMIUM", "/usr/bin/chromium")

# Without the networking flags Chromium keeps trying to reach Google's services, which a closed
# network refuses (many connections at a time).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set HITL_CHROMIUM)"
    return None


@contextmanager
def chromium_context(playwright: Playwright, **options: object) -> Iterator[BrowserContext]:
    """A fresh Chromium profile (own user-data-dir), closed and removed afterwards."""
    profile = tempfile.mkdtemp(prefix="hitl-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_FLAGS,
        **options,  # type: ignore[arg-type]
    )
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def log_in(page: Page, base_url: str, user: str, password: str, next_url: str | None = None) -> None:
    """Sign in through Airflow's own login page (SimpleAuthManager) and land on ``next_url``.

    ``next_url`` (default: the Airflow UI's home page) must be on the same origin; Airflow's login
    page goes there with the new token in the ``_token`` cookie, which the Airflow UI (and the
    Required Actions app) move to ``localStorage["token"]``. Returns once the browser has left the
    login page holding the token.
    """
    base = base_url.rstrip("/")
    page.goto(f"{base}/auth/login?{urlencode({'next': next_url or f'{base}/'})}")
    submit_login(page, user, password)
    page.wait_for_function(
        "() => window.localStorage.getItem('token') !== null || document.cookie.includes('_token=')"
    )


def submit_login(page: Page, user: str, password: str) -> None:
    """Fill in and send Airflow's login form (the page is open); returns once the browser left it."""
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)
