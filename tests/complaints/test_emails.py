"""Every email renders in English and Simplified Chinese, safely."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from complaints.audit import EVENT_KINDS
from complaints.emails import (
    CONTEXTS,
    SUBJECTS,
    AcknowledgementContext,
    AssessmentRequestContext,
    ContainmentRequestContext,
    EmailContext,
    EscalationContext,
    NotOursExplanationContext,
    ReminderContext,
    render_email,
)
from complaints.enums import Channel, DecisionChannel, EmailKind, Grade, Locale, Stage, StepKind
from complaints.i18n import catalog
from complaints.templating import TEMPLATES_DIR

HOSTILE = '<script>alert("x")</script>\r\nBcc: victim@example.com'
WHEN = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)


def _context(kind: EmailKind) -> EmailContext:
    common = {"reference": "C-2026-000042", "recipient_name": HOSTILE, "organization": "Acme"}
    contexts: dict[EmailKind, EmailContext] = {
        EmailKind.ACKNOWLEDGEMENT: AcknowledgementContext(
            **common,
            product=HOSTILE,
            received_at=WHEN,
            contain_by=WHEN,
            status_url="https://example.test/status/abc",
        ),
        EmailKind.ASSESSMENT_REQUEST: AssessmentRequestContext(
            **common,
            product="Kettle",
            description=HOSTILE,
            requested_remedy="新的",
            received_at=WHEN,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.NOT_OURS_EXPLANATION: NotOursExplanationContext(
            **common,
            product="Kettle",
            explanation=HOSTILE,
            status_url="https://example.test/status/abc",
        ),
        EmailKind.REMINDER: ReminderContext(
            **common,
            step_name="step.assessment",
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.ESCALATION: EscalationContext(
            **common,
            step_name="step.containment",
            due_at=WHEN,
            link_url="https://example.test/s/tok",
            owner_name="Li Wei",
            level=1,
        ),
        EmailKind.CONTAINMENT_REQUEST: ContainmentRequestContext(
            **common,
            product="Kettle",
            grade="major_complaint",
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
    }
    return contexts[kind]


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_renders_both_parts_in_both_languages(kind: EmailKind, locale: Locale) -> None:
    email = render_email(kind, _context(kind), locale=locale, zone=ZoneInfo("Asia/Shanghai"))
    assert "C-2026-000042" in email.subject
    assert "\r" not in email.subject and "\n" not in email.subject
    assert "C-2026-000042" in email.text and "C-2026-000042" in email.html
    # Hostile input is inert in HTML and plain in text.
    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    # Times are shown in the recipient's zone (08:30 UTC is 16:30 in Shanghai).
    if kind is not EmailKind.NOT_OURS_EXPLANATION:
        assert "16:30" in email.text
    if locale is Locale.ZH_CN:
        assert re.search(r"[\u4e00-\u9fff]", email.subject)
        assert "尊敬的" in email.text
    else:
        assert email.subject.isascii()


def test_every_kind_has_a_context_a_subject_and_both_templates() -> None:
    for kind in EmailKind:
        assert kind in CONTEXTS and kind in SUBJECTS
        for part in ("html", "txt"):
            assert (TEMPLATES_DIR / "email" / f"{kind.value}.{part}.j2").exists()


def _message_ids() -> set[str]:
    ids: set[str] = set()
    for template in Path(TEMPLATES_DIR).rglob("*.j2"):
        ids |= set(re.findall(r'_\("((?:[^"\\]|\\.)+)"', template.read_text(encoding="utf-8")))
    ids |= set(SUBJECTS.values())
    ids |= {g.value for g in Grade} | {c.value for c in Channel}
    ids |= {f"stage.{s.value}" for s in Stage} | {f"stage.{s.value}.explained" for s in Stage}
    ids |= {f"step.{k.value}" for k in StepKind} | {f"via.{c.value}" for c in DecisionChannel}
    ids |= {f"event.{kind}" for kind in EVENT_KINDS}
    return {i for i in ids if not i.endswith(".")}  # "stage." is a prefix built in templates


def test_every_message_has_a_chinese_translation_with_the_same_placeholders() -> None:
    chinese = catalog(Locale.ZH_CN)
    missing = sorted(i for i in _message_ids() if i not in chinese)
    assert missing == []
    for msgid, text in chinese.items():
        assert sorted(re.findall(r"%\((\w+)\)s", msgid)) == sorted(
            re.findall(r"%\((\w+)\)s", text)
        ) or msgid.startswith("stage."), msgid


def test_keyed_messages_have_english_text() -> None:
    english = catalog(Locale.EN)
    keyed = {
        i for i in _message_ids() if i.startswith(("stage.", "step.", "via.", "event.")) or "_" in i
    }
    assert sorted(k for k in keyed if k not in english) == []
