"""`make run`'s development mailbox: a real SMTP server whose messages show in the browser."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from tests.support.processes import free_port, start, stop, wait_http
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def web_with_mailbox(stack: Stack, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A web app with no COMPLAINTS_SMTP_HOST: it runs the development mailbox itself."""
    web_port, smtp_port = free_port(), free_port()
    env = stack.env(
        COMPLAINTS_HTTP_PORT=str(web_port),
        COMPLAINTS_PUBLIC_URL=f"http://127.0.0.1:{web_port}",
        COMPLAINTS_SMTP_PORT=str(smtp_port),
        COMPLAINTS_MAILBOX_DIR=str(tmp_path / "mailbox"),
    )
    del env["COMPLAINTS_SMTP_HOST"]
    process = start(
        [str(Path(".venv/bin/uvicorn").resolve()), "ui_api.main:app", "--port", str(web_port)],
        env,
        tmp_path / "web.log",
    )
    try:
        wait_http(f"http://127.0.0.1:{web_port}/api/health", process)
        yield f"http://127.0.0.1:{web_port}", smtp_port
    finally:
        stop(process)


def test_mailbox_shows_html_and_text_parts_with_clickable_links(
    web_with_mailbox: tuple[str, int],
) -> None:
    base, smtp_port = web_with_mailbox
    message = EmailMessage()
    message["From"] = "desk@example.com"
    message["To"] = "王芳 <wang@example.com>"
    message["Subject"] = "测试 C-2026-000123"
    message.set_content("Open: http://127.0.0.1:8000/s/abc123 <b>not bold</b>")
    message.add_alternative(
        '<p>Open <a href="http://127.0.0.1:8000/s/abc123">here</a></p>', subtype="html"
    )
    asyncio.run(aiosmtplib.send(message, hostname="127.0.0.1", port=smtp_port))

    listing = httpx.get(f"{base}/dev/mailbox", timeout=10)
    assert listing.status_code == 200 and "测试 C-2026-000123" in listing.text
    key = listing.text.split('href="/dev/mailbox/', 1)[1].split('"', 1)[0]
    page = httpx.get(f"{base}/dev/mailbox/{key}", timeout=10)
    assert page.status_code == 200
    assert '<a href="http://127.0.0.1:8000/s/abc123">' in page.text  # text part, linked
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page.text  # text part, escaped
    assert "srcdoc=" in page.text and "sandbox=" in page.text  # HTML part, isolated
