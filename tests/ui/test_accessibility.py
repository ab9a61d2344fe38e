"""Every step page, in both languages, checked in headless Chromium with axe-core: no
serious or critical accessibility violation (labels, contrast, structure), as people with
a screen reader or a keyboard use them. The pages are rendered as the step links serve
them, with the app's own stylesheet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

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


def _review_task_context(kind: str, org: Any) -> dict[str, Any]:
    """What a management review task's link page is rendered with (minutes or action),
    with problems to show, so their markup is checked too."""
    when = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    task = SimpleNamespace(
        number=1,
        assignee="li-wei",
        due_at=when,
        decided_by=None,
        decided_at=None,
        decision=None,
        details={"area": "resources", "description": "Train the night shift"},
    )
    management = SimpleNamespace(
        meeting_at=when, chair="zhang-min", participants=["zhang-min", "tom-hughes"]
    )
    errors = (
        {"summary": "!", "next_review_on": "!", "owner_2": "!"}
        if kind == "minutes"
        else {"note": "!"}
    )
    return {
        "org": org,
        "token": "tok",
        "guard": "0" * 64,
        "task": task,
        "review": SimpleNamespace(period_label="MR-2026-03-02"),
        "management": management,
        "name_of": lambda key: org.people[key].name,
        "participant_names": ["Zhang Min", "Tom Hughes"],
        "people": sorted(org.people.values(), key=lambda p: p.name),
        "files": [],
        "evidence": [],
        "can_decide": True,
        "values": {"attended": ["zhang-min"], "description_2": "Check thermostats"},
        "errors": errors,
        "recorded": False,
        "rows": range(1, 6),
        "upload_limits": SimpleNamespace(upload_max_files=5, upload_max_bytes=10 * 1048576),
    }


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", ["minutes", "action"])
def test_the_management_review_pages_have_no_serious_accessibility_violation(
    page: Page, kind: str, locale: Locale
) -> None:
    context = _review_task_context(kind, _org())
    html = render_page(f"review_{kind}", locale=locale, **context).body.decode()
    # The page is the one meant: the action's description, or the minutes' five rows.
    shown = "Train the night shift" if kind == "action" else 'name="due_on_5"'
    assert shown in html
    assert _serious(page, html) == []
