"""Every step page, in both languages, checked in headless Chromium with axe-core: no
serious or critical accessibility violation (labels, contrast, structure), as people with
a screen reader or a keyboard use them. The pages are rendered as the step links serve
them, with the app's own stylesheet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route

from complaints.enums import Locale, StepKind
from complaints.settings import PROJECT_DIR
from tests.support.browser import chromium
from tests.ui.test_pages import _context, _org
from ui_api.pages import render_page

ORIGIN = "http://complaints.test"
STYLESHEET = PROJECT_DIR / "templates" / "static" / "app.css"


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    with chromium() as browser:
        yield browser.new_page()


def _serious(page: Page, html: str) -> list[str]:
    def serve(route: Route) -> None:
        if route.request.url.endswith("/static/app.css"):
            route.fulfill(path=STYLESHEET, content_type="text/css")
        else:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")

    page.route(f"{ORIGIN}/**", serve)
    try:
        page.goto(f"{ORIGIN}/s/page")
        violations = Axe().run(page).response["violations"]
    finally:
        page.unroute(f"{ORIGIN}/**")
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", list(StepKind))
def test_every_step_page_has_no_serious_accessibility_violation(
    page: Page, kind: StepKind, locale: Locale
) -> None:
    org = _org()
    html = render_page(f"step_{kind.value}", locale=locale, **_context(org, kind)).body.decode()
    assert _serious(page, html) == []
