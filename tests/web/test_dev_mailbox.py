"""`make run`'s development mailbox: a real SMTP server whose messages show in the browser."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from email.message import EmailMessage

import aiosmtplib

from devtools.mailbox import DevMailbox
from tests.support.processes import free_port
from tests.web.conftest import WebApp

PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


def test_mailbox_shows_html_and_text_parts_with_clickable_links(
    make_web: Callable[..., WebApp],
) -> None:
    # No COMPLAINTS_SMTP_HOST: the web app shows the development mailbox's messages.
    web = make_web(smtp_host=None, smtp_port=free_port())
    assert web.settings.dev_mailbox_enabled
    mailbox = DevMailbox(web.settings.mailbox_dir, port=web.settings.smtp_port)
    mailbox.start()
    try:
        message = EmailMessage()
        message["From"] = "desk@example.com"
        message["To"] = "王芳 <wang@example.com>"
        message["Subject"] = "测试 C-2026-000123"
        message.set_content("Open: http://127.0.0.1:8000/s/abc123 <b>not bold</b>")
        message.add_alternative(
            '<p>Open <a href="http://127.0.0.1:8000/s/abc123">here</a></p>'
            '<img src="cid:trend@review" alt="trend">',
            subtype="html",
        )
        html = next(p for p in message.walk() if p.get_content_type() == "text/html")
        html.add_related(PNG, maintype="image", subtype="png", cid="<trend@review>")
        port = web.settings.smtp_port
        asyncio.run(aiosmtplib.send(message, hostname="127.0.0.1", port=port))
    finally:
        mailbox.stop()

    with web.client() as client:
        listing = client.get("/dev/mailbox")
        assert listing.status_code == 200 and "测试 C-2026-000123" in listing.text
        key = listing.text.split('href="/dev/mailbox/', 1)[1].split('"', 1)[0]
        page = client.get(f"/dev/mailbox/{key}")
    assert page.status_code == 200
    assert '<a href="http://127.0.0.1:8000/s/abc123">' in page.text  # text part, linked
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page.text  # text part, escaped
    assert "srcdoc=" in page.text and "sandbox=" in page.text  # HTML part, isolated
    # An inline image (a review's chart) shows as a mail client would show it.
    assert "cid:trend@review" not in page.text
    assert f"data:image/png;base64,{base64.b64encode(PNG).decode()}" in page.text
