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

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Playwright

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
