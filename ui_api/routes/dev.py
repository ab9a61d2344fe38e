"""The development mailbox in the browser (only when no real SMTP server is configured)."""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from devtools.mailbox import Maildir
from ui_api.deps import OrganizationDep
from ui_api.pages import locale_from_request, render_page

_URL = re.compile(r"https?://[^\s<>\"']+")
router = APIRouter(prefix="/dev/mailbox", tags=["development"], include_in_schema=False)


def _store(request: Request) -> Maildir:
    store: Maildir = request.app.state.mailbox_store
    return store


@router.get("", response_class=HTMLResponse)
def list_messages(request: Request, org: OrganizationDep) -> HTMLResponse:
    """List every message the development mailbox received, newest first."""
    messages = list(reversed(_store(request).messages()))
    return render_page("mailbox", locale=locale_from_request(request), org=org, messages=messages)


@router.get("/{key}", response_class=HTMLResponse)
def show_message(key: str, request: Request, org: OrganizationDep) -> HTMLResponse:
    """Show one message: headers, HTML part (links clickable) and text part."""
    message = _store(request).get(key)
    if message is None:
        raise HTTPException(404, "no such message")
    html = message.html_with_images().replace("<head>", '<head><base target="_top">', 1)
    return render_page(
        "mailbox_message",
        locale=locale_from_request(request),
        org=org,
        message=message,
        html=html,
        text=linkify(message.part("plain")),
    )


def linkify(text: str) -> Markup:
    """Escape plain text and make its web addresses clickable."""
    escaped = str(escape(text))
    return Markup(_URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))
