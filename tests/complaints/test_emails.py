"""Every email renders in English and Simplified Chinese, safely."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from complaints.audit import EVENT_KINDS
from complaints.enums import (
    ActionType,
    Channel,
    DecisionChannel,
    EmailKind,
    Grade,
    IshikawaCategory,
    Locale,
    MeasureType,
    ProblemScope,
    Stage,
    StepKind,
)
from complaints.i18n import catalog
from complaints.mail.contexts import (
    AcknowledgementContext,
    ActionLine,
    ActionPlanOverviewContext,
    ClosingNoticeContext,
    ContainmentInvitationContext,
    DecisionNoticeContext,
    EscalationContext,
    IncidentReportContext,
    NotOursExplanationContext,
    OperatorAlertContext,
    ReminderContext,
    RetentionReportContext,
    ReviewChart,
    ReviewFigure,
    ReviewReportContext,
    RootCauseInvitationContext,
    SignInContext,
    StatusUpdateContext,
    TrendAlertContext,
)
from complaints.mail.emails import CONTEXTS, SUBJECTS, EmailContext, render_email
from complaints.management.emails import (
    ManagementReviewContext,
    ReviewActionRequestContext,
    ReviewRecordContext,
    ReviewTaskNoticeContext,
)
from complaints.steps.catalogue.assessment import (
    AssessmentRequestContext,
    InfoRequestContext,
    NotOursApprovalRequestContext,
)
from complaints.steps.catalogue.containment import ContainmentRequestContext, MeasureRequestContext
from complaints.steps.catalogue.corrective import ActionRequestContext
from complaints.steps.catalogue.follow_up import (
    EffectivenessRequestContext,
    SurveyRequestContext,
)
from complaints.steps.catalogue.response import (
    ResponseApprovalRequestContext,
    ResponseContext,
    ResponseRequestContext,
)
from complaints.steps.catalogue.root_cause import (
    ActionPlanRequestContext,
    CauseAnalysisRequestContext,
)
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
            product="Kettle",
            step_name="step.assessment",
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.ESCALATION: EscalationContext(
            **common,
            product="Kettle",
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
            meeting_at=WHEN,
            meeting_location=HOSTILE,
        ),
        EmailKind.INFO_REQUEST: InfoRequestContext(
            **common,
            product="Kettle",
            question=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.NOT_OURS_APPROVAL_REQUEST: NotOursApprovalRequestContext(
            **common,
            product="Kettle",
            handler_name=HOSTILE,
            explanation=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.MEETING_INVITATION: ContainmentInvitationContext(
            **common,
            product="Kettle",
            description=HOSTILE,
            grade="major_complaint",
            safety_relevant=True,
            organizer_name=HOSTILE,
            attendee_names=["Li Wei", HOSTILE],
            starts_at=WHEN,
            ends_at=WHEN,
            location=HOSTILE,
            contain_by=WHEN,
            updated=False,
        ),
        EmailKind.MEASURE_REQUEST: MeasureRequestContext(
            **common,
            product="Kettle",
            measure_type="recall",
            measure=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.STATUS_UPDATE: StatusUpdateContext(
            **common,
            product=HOSTILE,
            stage="containment",
            next_due=WHEN,
            status_url="https://example.test/status/abc",
            periodic=True,
        ),
        EmailKind.CAUSE_ANALYSIS_REQUEST: CauseAnalysisRequestContext(
            **common,
            product="Kettle",
            scope=HOSTILE,
            method="5-Why",
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.ACTION_MEETING_INVITATION: RootCauseInvitationContext(
            **common,
            product="Kettle",
            description=HOSTILE,
            grade="complaint",
            safety_relevant=False,
            organizer_name="Li Wei",
            attendee_names=[HOSTILE],
            starts_at=WHEN,
            ends_at=WHEN,
            location=HOSTILE,
            updated=True,
        ),
        EmailKind.ACTION_PLAN_REQUEST: ActionPlanRequestContext(
            **common,
            product="Kettle",
            root_cause=HOSTILE,
            problem_scope="systemic",
            meeting_at=WHEN,
            meeting_location=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.ACTION_REQUEST: ActionRequestContext(
            **common,
            product="Kettle",
            action_type="recall",
            action=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
            reassigned=True,
        ),
        EmailKind.ACTION_PLAN_OVERVIEW: ActionPlanOverviewContext(
            **common,
            product="Kettle",
            actions=[
                ActionLine(
                    action_type="corrective",
                    action=HOSTILE,
                    owner_name="Wang Jun",
                    due_at=WHEN,
                    link_url="https://example.test/s/tok",
                )
            ],
        ),
        EmailKind.RESPONSE_REQUEST: ResponseRequestContext(
            **common,
            product="Kettle",
            description=HOSTILE,
            requested_remedy=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
            round=2,
            not_satisfied_because=HOSTILE,
            returned_because=HOSTILE,
        ),
        EmailKind.RESPONSE_APPROVAL_REQUEST: ResponseApprovalRequestContext(
            **common,
            product="Kettle",
            handler_name="Li Wei",
            remedy=HOSTILE,
            actions_taken=HOSTILE,
            prevention=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.RESPONSE: ResponseContext(
            **common,
            product="Kettle",
            remedy=HOSTILE,
            actions_taken=HOSTILE,
            prevention=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
            accept_url="https://example.test/s/tok?answer=accept",
            reject_url="https://example.test/s/tok?answer=not_satisfied",
            status_url="https://example.test/status/abc",
            round=1,
        ),
        EmailKind.SURVEY_REQUEST: SurveyRequestContext(
            **common, product="Kettle", due_at=WHEN, link_url="https://example.test/s/tok"
        ),
        EmailKind.EFFECTIVENESS_REQUEST: EffectivenessRequestContext(
            **common,
            product="Kettle",
            actions_closed_at=WHEN,
            due_at=WHEN,
            link_url="https://example.test/s/tok",
        ),
        EmailKind.DECISION_NOTICE: DecisionNoticeContext(
            **common, product="Kettle", accepted=False, reason=HOSTILE, rounds=3, decided_at=WHEN
        ),
        EmailKind.CLOSING_NOTICE: ClosingNoticeContext(
            **common,
            product="Kettle",
            resolution="resolved",
            closed_at=WHEN,
            reopen_url="https://example.test/s/tok",
        ),
        EmailKind.INCIDENT_REPORT: IncidentReportContext(
            **common,
            product="Kettle",
            root_cause=HOSTILE,
            issued_at=WHEN,
            attachments=["incident-report-C-2026-000042-en.pdf"],
        ),
        EmailKind.REVIEW_REPORT: ReviewReportContext(
            **common,
            title="Complaint trend analysis",
            period="2026-11 (2026-11-01 – 2026-11-30)",
            scope=HOSTILE,
            issued_at=WHEN,
            nothing_happened=True,
            figures=[ReviewFigure(label="Complaints received", value=HOSTILE)],
            charts=[ReviewChart(content_id="trend@review", title=HOSTILE)],
            attachments=["TA-2026-11-en.pdf", "TA-2026-11.csv"],
        ),
        EmailKind.TREND_ALERT: TrendAlertContext(
            **common,
            family=HOSTILE,
            cause="material",
            count=3,
            window_days=30,
            since=WHEN,
            references=["C-2026-000040", "C-2026-000041"],
            review_url="https://example.test/reviews?period=days",
        ),
        EmailKind.RETENTION_REPORT: RetentionReportContext(
            **common,
            as_of=WHEN,
            keep_personal_data_days=1095,
            keep_uploads_days=365,
            complaints=2,
            texts=17,
            files=5,
            addresses=1,
            exports=0,
        ),
        EmailKind.OPERATOR_ALERT: OperatorAlertContext(
            **common,
            alert="Mail is failing",
            explanation="operators.alert.mail_failing",
            occurred=WHEN,
            console_url="http://127.0.0.1:4200/events",
        ),
        EmailKind.SIGN_IN: SignInContext(
            **common, url="https://example.test/reviews/sign-in/tok", expires_at=WHEN
        ),
        EmailKind.MANAGEMENT_REVIEW: ManagementReviewContext(
            **common,
            meeting_at=WHEN,
            chair_name=HOSTILE,
            participant_names=["Li Wei", HOSTILE],
            earlier_actions=2,
            open_actions=1,
            open_systemic=0,
            analysis="2026-10",
            minutes_url="https://example.test/r/tok",
            minutes_due_at=WHEN,
            attachments=["MR-2026-11-21-pack-en.pdf", "invite.ics"],
        ),
        EmailKind.REVIEW_ACTION_REQUEST: ReviewActionRequestContext(
            **common,
            area="resources",
            description=HOSTILE,
            due_at=WHEN,
            link_url="https://example.test/r/tok",
        ),
        EmailKind.REVIEW_RECORD: ReviewRecordContext(
            **common,
            decisions=[HOSTILE],
            next_review_on="2027-02-21 16:30",
            attachments=["MR-2026-11-21-record-en.pdf"],
        ),
        EmailKind.REVIEW_TASK_NOTICE: ReviewTaskNoticeContext(
            **common,
            task_name="mr.task.action",
            description=HOSTILE,
            owner_name="Li Wei",
            due_at=WHEN,
            link_url="https://example.test/r/tok",
            level=1,
        ),
    }
    return contexts[kind]


@pytest.mark.parametrize("locale", list(Locale))
@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_renders_both_parts_in_both_languages(kind: EmailKind, locale: Locale) -> None:
    context = _context(kind)
    assert context.kind is kind  # each context knows its kind (and so its subject)
    email = render_email(context, locale=locale, zone=ZoneInfo("Asia/Shanghai"))
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
    ids |= {f"event.{kind}" for kind in EVENT_KINDS} | {f"measure.{m.value}" for m in MeasureType}
    ids |= {f"action.{a.value}" for a in ActionType} | {f"scope.{s.value}" for s in ProblemScope}
    ids |= {f"ishikawa.{c.value}" for c in IshikawaCategory}
    # "stage." and the like are prefixes of keys built in templates, not messages.
    return {i for i in ids if not (i.endswith(".") and " " not in i)}


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
        i
        for i in _message_ids()
        if i.startswith(("stage.", "step.", "via.", "event.", "measure.", "action.", "scope."))
        or i.startswith("ishikawa.")
        or ("_" in i and " " not in i)
    }
    assert sorted(k for k in keyed if k not in english) == []
