"""The public pages as a person uses them, in headless Chromium: the complaint form filled
in with the keyboard alone, in Chinese with mistakes and again in English with a photo, the
confirmation, the acknowledgement's status link; and axe-core finding no serious or
critical accessibility violation on the form, the confirmation and "How we handle
complaints", in both languages."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from complaints.models import utcnow
from tests.support.browser import chromium
from tests.support.forms import local_input
from tests.support.links import step_link
from tests.support.people import complaint_payload
from tests.support.stack import Stack, eventually

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
HANDLER = "li.wei@acme.example"
# Where the screenshots go: the test's folder, or docs/screenshots when
# COMPLAINTS_SCREENSHOTS=1 (to refresh the README's).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _serious(page: Page) -> list[dict[str, Any]]:
    """Return the page's serious and critical accessibility violations (axe-core)."""
    violations = Axe().run(page).response["violations"]
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def _tab_to(page: Page, element_id: str) -> None:
    """Move the focus with the Tab key alone until it reaches an element."""
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def _type_into(page: Page, fields: dict[str, str]) -> None:
    for element_id, text in fields.items():
        _tab_to(page, element_id)
        page.keyboard.press("Control+A")
        page.keyboard.type(text)


def test_a_person_complains_with_the_keyboard_in_both_languages(
    stack: Stack, tmp_path: Path
) -> None:
    folder = SCREENSHOTS if os.environ.get("COMPLAINTS_SCREENSHOTS") else tmp_path
    photo = tmp_path / "leak.png"
    photo.write_bytes(PNG)
    tag = uuid.uuid4().hex[:8]
    chinese = f"wang.zh.{tag}@example.com"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 1400}, locale="zh-CN")
        page.goto(f"{stack.base_url}/complain")
        assert page.locator("h1").inner_text() == "提交投诉"  # from the browser's language
        assert _serious(page) == []

        # In Chinese, with mistakes: each is named at its field, in Chinese; input kept.
        _type_into(page, {"name": f"王芳 {tag}", "email": "不是地址", "description": "水壶漏水"})
        _tab_to(page, "consent")  # left unticked
        page.locator("button[type=submit]").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#error-summary")
        assert page.locator("#email-error").inner_text() == "请输入电子邮箱，例如 name@example.com"
        assert page.locator("#consent-error").inner_text() == "请同意隐私声明后再提交投诉"
        assert page.locator("#description").input_value() == "水壶漏水"
        assert page.locator("#email").get_attribute("aria-invalid") == "true"
        assert _serious(page) == []
        page.screenshot(path=folder / "complaint-form-errors-zh.png", full_page=True)

        # Put right with the keyboard, a photo chosen, sent: the confirmation in Chinese.
        _type_into(
            page,
            {
                "email": f"wang.zh.{tag}@example.com",
                "product": "电水壶 K2",
                "requested_remedy": "更换新水壶",
            },
        )
        page.locator("#files").set_input_files(str(photo))
        _tab_to(page, "consent")
        page.keyboard.press("Space")
        page.locator("button[type=submit]").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".banner.ok")
        assert "您的投诉编号是 C-" in page.locator("main").inner_text()
        assert _serious(page) == []

        # Switched to English, filled in again by keyboard, a photo chosen, sent.
        page.goto(f"{stack.base_url}/complain?lang=en")
        _type_into(
            page,
            {
                "name": f"Wang Fang {tag}",
                "email": f"wang.{tag}@example.com",
                "product": "Electric kettle K2",
                "description": "The kettle leaks at the base.",
                "requested_remedy": "A new kettle",
            },
        )
        page.locator("#files").set_input_files(str(photo))
        _tab_to(page, "consent")
        page.keyboard.press("Space")
        page.screenshot(path=folder / "complaint-form.png", full_page=True)
        page.locator("button[type=submit]").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector(".banner.ok")
        confirmation = page.locator("main").inner_text()
        reference = confirmation.split("Your reference is ")[1].split(".")[0]
        assert reference.startswith("C-") and "within 48 hours" in confirmation
        assert _serious(page) == []
        page.screenshot(path=folder / "complaint-confirmation.png", full_page=True)

        # The acknowledgement arrives with the status link, which opens the complaint.
        mail = eventually(
            lambda: stack.mail_to(f"wang.{tag}@example.com", reference), what="acknowledgement"
        )
        status = next(word for word in mail[0].part("plain").split() if "/status/" in word)
        page.goto(status)
        assert reference in page.locator("main").inner_text()
        assert _serious(page) == []

        # The Chinese complaint is acknowledged in Chinese.
        acknowledgement = eventually(lambda: stack.mail_to(chinese, "C-"), what="确认邮件")
        assert "我们已收到您的投诉" in acknowledgement[0].subject

        for lang in ("en", "zh-CN"):
            page.goto(f"{stack.base_url}/how-we-handle-complaints?lang={lang}")
            assert _serious(page) == []
        page.screenshot(path=folder / "how-we-handle-complaints-zh.png", full_page=True)
        page.goto(f"{stack.base_url}/complain?lang=en")
        assert _serious(page) == []


def test_a_handler_assesses_and_records_the_minutes_by_clicking_and_typing(
    stack: Stack, tmp_path: Path
) -> None:
    """The handler opens the emailed links in a browser, fills the assessment and the
    containment minutes by clicking and typing, and the flow moves on."""
    case = stack.file_complaint(complaint_payload())
    reference = case["reference"]
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 1400}, locale="zh-CN")
        assessment = step_link(
            eventually(lambda: stack.mail_to(HANDLER, reference), what="the request")[0]
        )
        page.goto(assessment)
        assert _serious(page) == []
        page.check('input[name="ours"][value="yes"]')
        page.check('input[name="valid"][value="yes"]')
        page.select_option('select[name="grade"]', "complaint")
        page.select_option('select[name="category"]', "product-defect")
        page.fill('input[name="meeting_at"]', local_input(utcnow() + timedelta(hours=2)))
        page.fill('input[name="meeting_minutes"]', "45")
        page.fill('input[name="meeting_location"]', "Room 301 会议室")
        page.locator('form:has(input[name="ours"]) button[type="submit"]').click()
        page.wait_for_load_state()
        assert _serious(page) == []

        minutes = step_link(
            eventually(
                lambda: [m for m in stack.mail_to(HANDLER, reference) if "会议纪要" in m.subject],
                what="the minutes request",
            )[0]
        )
        page.goto(minutes)
        assert _serious(page) == []
        page.fill('textarea[name="summary"]', "密封圈批次问题")
        page.select_option('select[name="measure-0-type"]', "exchange")
        page.fill('input[name="measure-0-description"]', "给投诉人换新水壶")
        page.select_option('select[name="measure-0-owner"]', "li-wei")
        page.fill('input[name="measure-0-due_at"]', local_input(utcnow() + timedelta(days=1)))
        page.select_option('select[name="analysis-analyst"]', "wang-jun")
        page.fill('input[name="analysis-due_at"]', local_input(utcnow() + timedelta(days=5)))
        page.fill('textarea[name="analysis-scope"]', "密封圈供应商批次")
        page.fill('textarea[name="analysis-method"]', "5-Why")
        page.locator('form:has(textarea[name="summary"]) button[type="submit"]').click()
        page.wait_for_load_state()

    # The flow moved on: the measure's owner is asked to carry it out.
    eventually(
        lambda: [
            m
            for m in stack.mail_to(HANDLER, reference)
            if "临时措施" in m.subject and "会议" not in m.subject
        ],
        seconds=120,
        what="the measure's request",
    )
    steps = {s["kind"]: s["status"] for s in stack.complaint(case["id"])["steps"]}
    assert steps["assessment"] == "decided" and steps["containment"] == "decided"
