"""Every page renders in English and Simplified Chinese, with the deadline rule it follows."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaints.actions.recurrence import Recurrence
from complaints.enums import (
    ActionType,
    Channel,
    Grade,
    IshikawaCategory,
    Locale,
    MeasureType,
    ProblemScope,
    Stage,
    StepKind,
    StepStatus,
)
from complaints.models import Complaint, Meeting, Step
from complaints.organization import Organization, parse_organization
from complaints.settings import Settings
from complaints.steps.contracts import CauseAnalysis
from ui_api.pages import render_page

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "organization.toml"
HOSTILE = "<script>alert(1)</script>"
RECEIVED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _org(clock: str = "calendar") -> Organization:
    text = SAMPLE.read_text(encoding="utf-8").replace('clock = "calendar"', f'clock = "{clock}"', 1)
    org = parse_organization(text)
    assert org.deadlines.clock == clock
    return org


def _complaint() -> Complaint:
    return Complaint(
        id=uuid.uuid4(),
        reference="C-2026-000042",
        received_at=RECEIVED,
        complainant_name="王芳",
        complainant_email="wang@example.com",
        locale=Locale.ZH_CN,
        channel=Channel.WEB,
        product="Kettle K2",
        description=HOSTILE,
        requested_remedy="新的",
        department="kitchen",
        handler="li-wei",
        stage=Stage.CONTAINMENT,
        grade=Grade.MAJOR_COMPLAINT,
        clock_paused_seconds=0,
    )


def _step(complaint: Complaint, kind: StepKind, details: dict[str, object]) -> Step:
    step = Step(
        id=uuid.uuid4(),
        kind=kind,
        key=f"{kind.value}-1",
        assignee="li-wei",
        status=StepStatus.OPEN,
        opened_at=RECEIVED,
        due_at=RECEIVED + timedelta(hours=48),
        details=details,
    )
    step.complaint = complaint
    return step


DETAILS: dict[StepKind, dict[str, object]] = {
    StepKind.ASSESSMENT: {"question": HOSTILE, "answer": "看照片", "returned_because": "不够清楚"},
    StepKind.INFO_REQUEST: {"question": HOSTILE},
    StepKind.NOT_OURS_APPROVAL: {"explanation": HOSTILE, "handler": "li-wei"},
    StepKind.CONTAINMENT: {},
    StepKind.MEASURE: {"type": MeasureType.RECALL.value, "description": HOSTILE, "owner": "li-wei"},
    StepKind.CAUSE_ANALYSIS: {"scope": HOSTILE, "method": "5-Why", "analyst": "wang-jun"},
    StepKind.ACTION_PLAN: {},
    StepKind.ACTION: {"type": ActionType.RECALL.value, "description": HOSTILE, "owner": "li-wei"},
    StepKind.RESPONSE: {"round": 2, "not_satisfied_because": HOSTILE, "previous": {}},
    StepKind.RESPONSE_APPROVAL: {"remedy": HOSTILE, "actions_taken": "换新", "prevention": "x"},
    StepKind.RESPONSE_DECISION: {
        "remedy": HOSTILE,
        "actions_taken": "换新",
        "prevention": "x",
        "round": 3,
        "last_round": True,
    },
    StepKind.SURVEY: {"accepted_at": RECEIVED.isoformat()},
    StepKind.EFFECTIVENESS: {"actions_closed_at": RECEIVED.isoformat(), "round": 1},
}
COMPLAINANT_STEPS = (StepKind.INFO_REQUEST, StepKind.RESPONSE_DECISION, StepKind.SURVEY)


def _context(org: Organization, kind: StepKind) -> dict[str, object]:
    complaint = _complaint()
    step = _step(complaint, kind, DETAILS[kind])
    meeting = Meeting(
        uid="x@y",
        sequence=0,
        organizer="li-wei",
        attendees=["wang-jun"],
        starts_at=RECEIVED + timedelta(hours=3),
        ends_at=RECEIVED + timedelta(hours=4),
        location=HOSTILE,
    )
    return {
        "org": org,
        "complaint": complaint,
        "step": step,
        "person": org.people["li-wei"],
        "guard": "abc",
        "grades": list(Grade),
        "complaint_categories": list(org.classification.categories.values()),
        "measure_types": list(MeasureType),
        "people": list(org.people.values()),
        "meeting": meeting,
        "files": [{"name": "photo.jpg", "size": 2048, "type": "image/jpeg", "url": "/s/t/files/1"}],
        "upload_limits": Settings(),
        "values": {},
        "chosen": [],
        "errors": {},
        "timeline": [],
        "token": "tok",
        "owner_name": "Li Wei",
        "can_decide": True,
        "can_manage": True,
        "analysis": CauseAnalysis(
            whys=["why"],
            root_cause=HOSTILE,
            category=IshikawaCategory.MATERIAL,
            scope=ProblemScope.SYSTEMIC,
            affected_batches="B-17",
            meeting_at=RECEIVED,
        ),
        "whys": range(1, 6),
        "categories": list(IshikawaCategory),
        "scopes": list(ProblemScope),
        "action_types": list(ActionType),
        "for_complainant": kind in COMPLAINANT_STEPS,
        "recurrence": Recurrence(RECEIVED, "material", same_cause=1, not_analysed=2, other_cause=4),
        "actions_done": [
            {
                "type": "recall",
                "description": HOSTILE,
                "owner": "Wang Jun",
                "note": "召回完成",
                "done_at": RECEIVED,
            }
        ],
        "dispute_resolution": "the consumer mediation service 12315",
        "response_rounds": 3,
    }


@pytest.mark.parametrize("clock", ["calendar", "business"])
@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", list(StepKind))
def test_every_step_page_renders_in_both_languages_with_its_deadline_rule(
    kind: StepKind, locale: Locale, clock: str
) -> None:
    org = _org(clock)
    page = render_page(f"step_{kind.value}", locale=locale, **_context(org, kind)).body.decode()
    assert "C-2026-000042" in page
    assert "<script>alert" not in page
    if kind is not StepKind.SURVEY:  # the survey shows no text of anyone's
        assert "&lt;script&gt;" in page
    # 01:00 UTC + 48 h is shown in the reader's zone (Asia/Shanghai: 09:00).
    assert "09:00" in page
    rule = {
        ("calendar", Locale.EN): "calendar hours",
        ("business", Locale.EN): "business hours only (09:00–18:00",
        ("calendar", Locale.ZH_CN): "按自然时间计算",
        ("business", Locale.ZH_CN): "只计工作时间（工作日 09:00–18:00",
    }[(clock, locale)]
    assert rule in page
    if locale is Locale.ZH_CN:
        assert re.search(r"[\u4e00-\u9fff]{4}", page.split("<main>")[1])
    if kind in (StepKind.INFO_REQUEST, StepKind.MEASURE, StepKind.CAUSE_ANALYSIS, StepKind.ACTION):
        assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    if kind is StepKind.EFFECTIVENESS:
        # Same cause (1) and not analysed yet (2) count; another cause (4) does not.
        figures = page.split('id="recurrence"')[1].split("</div>")[0]
        assert re.search(r"\b3\b", figures) and "Kettle K2" in figures
    if kind is StepKind.RESPONSE_DECISION:
        assert "ISO 10003" in page and "12315" in page  # the last round points outside
    if kind is StepKind.ASSESSMENT:
        # The categories of the organization file, in the reader's language (ISO 10002 8.2).
        # A divided category is a group: the category itself, then its sub-categories.
        defect = "产品缺陷" if locale is Locale.ZH_CN else "Product defect"
        general = "总体" if locale is Locale.ZH_CN else "in general"
        electrical = "电气故障" if locale is Locale.ZH_CN else "Electrical fault"
        assert f'<optgroup label="{defect}">' in page
        assert f'<option value="product-defect" >{defect} ({general})</option>' in page
        assert f'<option value="product-defect/electrical" >{electrical}</option>' in page
        delivery = "交付或包装" if locale is Locale.ZH_CN else "Delivery or packaging"
        assert f'<option value="delivery" >{delivery}</option>' in page


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("template", ["step_done", "step_decided"])
def test_the_complainant_never_sees_the_internal_record(template: str, locale: Locale) -> None:
    org = _org()
    context = _context(org, StepKind.INFO_REQUEST)
    context["step"].decided_at = RECEIVED  # type: ignore[attr-defined]
    context["timeline"] = [
        {"at": RECEIVED, "kind": "step.opened", "actor": "li-wei", "channel": "system"}
    ]
    page = render_page(template, locale=locale, decided_by="x", **context).body.decode()
    assert "C-2026-000042" in page
    assert "li-wei" not in page and HOSTILE not in page  # no timeline, no facts
    context["for_complainant"] = False
    staff = render_page(template, locale=locale, decided_by="x", **context).body.decode()
    assert "li-wei" in staff


@pytest.mark.parametrize("locale", list(Locale))
def test_the_status_page_says_the_stage_the_next_date_and_its_rule(locale: Locale) -> None:
    org = _org()
    complaint = _complaint()
    page = render_page(
        "status",
        locale=locale,
        org=org,
        complaint=complaint,
        next_due=RECEIVED + timedelta(hours=48),
        told=[],
    ).body.decode()
    stage = {Locale.EN: "Immediate measures under way", Locale.ZH_CN: "正在采取临时措施"}[locale]
    rule = {Locale.EN: "calendar hours", Locale.ZH_CN: "按自然时间计算"}[locale]
    assert stage in page and rule in page and "09:00" in page
