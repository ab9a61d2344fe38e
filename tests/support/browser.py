"""Headless Chromium (Debian's package) driven by Playwright, for the checks where a person
clicks. Playwright's own browser downloads are not used: the machine's `chromium` is."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, sync_playwright

# What headless Chromium needs in a container without a user namespace or a GPU, and what
# keeps it from calling home during a test.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Start the machine's headless Chromium; fail (not skip) when it is missing."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed (`make test` installs Debian's package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()
