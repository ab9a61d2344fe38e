"""Step links: the one gate every step route and file route goes through.

A link is a capability. Whatever was wrong with it (unknown, tampered, expired, revoked,
a foreign origin, too many bad links from one client), the person sees one page with no
hint of which, and each bad step link counts against the client (``FailureLimiter``).
The complainant's status link is refused with the same page (:class:`LinkRefused`).
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse

from complaints.models import LinkToken
from complaints.organization import load_organization
from complaints.settings import Settings
from complaints.steps.decisions import resolve_link
from complaints.tokens import guard_matches
from ui_api.deps import DbDep, SettingsDep, client_addr
from ui_api.pages import locale_from_request, render_page
from ui_api.ratelimit import FailureLimiter


class LinkRefused(Exception):
    """A link that may not be used: answered with the invalid-link page.

    ``counted``: whether it counts as a bad link of the client (a link that is good but
    not for this action, or a file it may not see, does not).
    """

    def __init__(self, status_code: int = 404, *, counted: bool = True) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.counted = counted


def check_link_request(request: Request, settings: Settings) -> None:
    """Refuse a client that used too many bad links, and a form posted from elsewhere:
    what every link (a step's, a review task's) is checked for first."""
    if _limiter(request).blocked(client_addr(request)):
        raise LinkRefused(429, counted=False)
    # Browsers send Origin with every form POST; a foreign one is a cross-site forgery.
    if request.method == "POST" and not _same_origin(request, settings):
        raise LinkRefused(403)


def open_link(token: str, request: Request, db: DbDep, settings: SettingsDep) -> LinkToken:
    """Return the step link a request carries, or refuse it."""
    check_link_request(request, settings)
    link = resolve_link(db, token, settings.secret_key.get_secret_value())
    if link is None:
        raise LinkRefused(404)
    return link


LinkDep = Annotated[LinkToken, Depends(open_link)]


def require_guard(token: str, settings: Settings, guard: str) -> None:
    """Refuse a form that did not come from the link's own page."""
    if not guard_matches(token, settings.secret_key.get_secret_value(), guard):
        raise LinkRefused(404)


def file_url(token: str, attachment_id: uuid.UUID) -> str:
    """Return the (relative) address of a file, seen through a step link."""
    return f"/s/{quote(token, safe='')}/files/{attachment_id}"


def add_link_pages(app: FastAPI) -> None:
    """Answer every refused link with the invalid-link page."""

    async def refused(request: Request, exc: Exception) -> HTMLResponse:
        assert isinstance(exc, LinkRefused)
        if exc.counted:
            _limiter(request).failed(client_addr(request))
        settings: Settings = request.app.state.settings
        return render_page(
            "link_invalid",
            locale=locale_from_request(request),
            org=load_organization(settings.organization_file),
            status_code=exc.status_code,
        )

    app.add_exception_handler(LinkRefused, refused)


def _limiter(request: Request) -> FailureLimiter:
    limiter: FailureLimiter = request.app.state.link_failures
    return limiter


def _same_origin(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True
    public = urlsplit(settings.public_url)
    return origin.rstrip("/") == f"{public.scheme}://{public.netloc}"
