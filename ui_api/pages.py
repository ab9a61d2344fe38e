"""Rendering pages in the reader's language."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from complaints.enums import Locale
from complaints.i18n import format_datetime, translator
from complaints.organization import Organization
from complaints.templating import environment


def locale_from_request(request: Request) -> Locale:
    """Pick the page language from ?lang= or the browser's Accept-Language."""
    wanted = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return Locale.ZH_CN if wanted.lower().startswith("zh") else Locale.EN


def render_page(
    template: str,
    *,
    locale: Locale,
    org: Organization,
    status_code: int = 200,
    zone: ZoneInfo | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render ``ui/<template>.html.j2`` for a reader of ``locale`` (times in ``zone``)."""
    zone = zone or org.zone_of()
    values = {
        "_": translator(locale),
        "lang": locale.value,
        "organization": org.name,
        "org": org,
        "when": lambda moment: format_datetime(moment, zone, locale) if moment else "",
        **context,
    }
    html = environment().get_template(f"ui/{template}.html.j2").render(values)
    return HTMLResponse(html, status_code=status_code)
