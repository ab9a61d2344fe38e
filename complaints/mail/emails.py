"""Every email: a kind, a typed context, and an HTML + text pair rendered per recipient."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from complaints.enums import EmailKind, Locale
from complaints.i18n import format_datetime, translator
from complaints.templating import environment


class EmailContext(BaseModel):
    """What every email knows: whom it is for and which complaint it is about."""

    reference: str
    recipient_name: str
    organization: str


class AcknowledgementContext(EmailContext):
    product: str
    received_at: datetime
    contain_by: datetime
    status_url: str


class AssessmentRequestContext(EmailContext):
    product: str
    description: str
    requested_remedy: str
    received_at: datetime
    due_at: datetime
    link_url: str
    # A later round: what the handler asked the complainant, and the answer.
    question: str = ""
    answer: str = ""
    answer_files: int = 0
    # A quality lead sent the explanation back: why.
    returned_because: str = ""


class NotOursExplanationContext(EmailContext):
    product: str
    explanation: str
    status_url: str


class ContainmentRequestContext(EmailContext):
    """To the organizer of the containment meeting: submit its minutes afterwards."""

    product: str
    grade: str
    due_at: datetime
    link_url: str
    meeting_at: datetime
    meeting_location: str


class InfoRequestContext(EmailContext):
    product: str
    question: str
    due_at: datetime
    link_url: str


class NotOursApprovalRequestContext(EmailContext):
    product: str
    handler_name: str
    explanation: str
    due_at: datetime
    link_url: str


class MeetingInvitationContext(EmailContext):
    product: str
    description: str
    grade: str
    safety_relevant: bool
    organizer_name: str
    attendee_names: list[str]
    starts_at: datetime
    ends_at: datetime
    location: str
    # The urgent meeting's deadline (the root-cause meeting has none).
    contain_by: datetime | None = None
    # A moved meeting: the same calendar event, updated.
    updated: bool


class MeasureRequestContext(EmailContext):
    product: str
    measure_type: str
    measure: str
    due_at: datetime
    link_url: str


class CauseAnalysisRequestContext(EmailContext):
    product: str
    scope: str
    method: str
    due_at: datetime
    link_url: str


class ActionPlanRequestContext(EmailContext):
    product: str
    root_cause: str
    problem_scope: str
    meeting_at: datetime
    meeting_location: str
    due_at: datetime
    link_url: str
    # A new plan: why (the effectiveness check found a recurrence, or a reopening).
    why_again: str = ""


class ActionRequestContext(EmailContext):
    product: str
    action_type: str
    action: str
    due_at: datetime
    link_url: str
    # The action came from another owner (a quality lead reassigned it).
    reassigned: bool = False


class ActionLine(BaseModel):
    action_type: str
    action: str
    owner_name: str
    due_at: datetime
    link_url: str


class ActionPlanOverviewContext(EmailContext):
    product: str
    actions: list[ActionLine]


class ResponseRequestContext(EmailContext):
    """To the handler: draft the answer to the complainant."""

    product: str
    description: str
    requested_remedy: str
    due_at: datetime
    link_url: str
    round: int
    # The complainant turned the last answer down: their reason.
    not_satisfied_because: str = ""
    # A quality lead sent the draft back: why.
    returned_because: str = ""


class ResponseApprovalRequestContext(EmailContext):
    product: str
    handler_name: str
    remedy: str
    actions_taken: str
    prevention: str
    due_at: datetime
    link_url: str


class ResponseContext(EmailContext):
    """To the complainant: our answer, to accept or turn down."""

    product: str
    remedy: str
    actions_taken: str
    prevention: str
    due_at: datetime
    link_url: str
    accept_url: str
    reject_url: str
    status_url: str
    round: int


class SurveyRequestContext(EmailContext):
    product: str
    due_at: datetime
    link_url: str


class EffectivenessRequestContext(EmailContext):
    product: str
    actions_closed_at: datetime
    due_at: datetime
    link_url: str


class DecisionNoticeContext(EmailContext):
    """To the employees concerned: how the complainant decided on the answer."""

    product: str
    accepted: bool
    reason: str
    rounds: int
    decided_at: datetime


class ClosingNoticeContext(EmailContext):
    product: str
    resolution: str
    closed_at: datetime
    reopen_url: str


class IncidentReportContext(EmailContext):
    """To a quality lead: the incident report, attached as PDF and HTML."""

    product: str
    root_cause: str
    issued_at: datetime
    attachments: list[str]


class ReviewFigure(BaseModel):
    label: str
    value: str


class ReviewChart(BaseModel):
    """A chart shown inside the email: ``<img src="cid:{content_id}">``."""

    content_id: str
    title: str


class ReviewReportContext(EmailContext):
    """A trend analysis (ISO 10002 8.2): its key figures in words, charts, files."""

    title: str
    period: str
    scope: str
    issued_at: datetime
    nothing_happened: bool
    figures: list[ReviewFigure]
    charts: list[ReviewChart]
    attachments: list[str]


class TrendAlertContext(EmailContext):
    """A recurrence the daily check found (ISO 10002 8.2): its count, window and a link
    that opens a review of it."""

    family: str
    cause: str
    count: int
    window_days: int
    since: datetime
    references: list[str]
    review_url: str


class SignInContext(EmailContext):
    """A quality lead's single-use link into the reviews area."""

    url: str
    expires_at: datetime


class StatusUpdateContext(EmailContext):
    product: str
    stage: str
    next_due: datetime | None
    status_url: str
    # Sent because nothing visible happened for a while (not because the stage changed).
    periodic: bool


class ReminderContext(EmailContext):
    step_name: str
    due_at: datetime
    link_url: str


class EscalationContext(ReminderContext):
    owner_name: str
    level: int


CONTEXTS: dict[EmailKind, type[EmailContext]] = {
    EmailKind.REMINDER: ReminderContext,
    EmailKind.ESCALATION: EscalationContext,
    EmailKind.ACKNOWLEDGEMENT: AcknowledgementContext,
    EmailKind.ASSESSMENT_REQUEST: AssessmentRequestContext,
    EmailKind.NOT_OURS_EXPLANATION: NotOursExplanationContext,
    EmailKind.CONTAINMENT_REQUEST: ContainmentRequestContext,
    EmailKind.INFO_REQUEST: InfoRequestContext,
    EmailKind.NOT_OURS_APPROVAL_REQUEST: NotOursApprovalRequestContext,
    EmailKind.MEETING_INVITATION: MeetingInvitationContext,
    EmailKind.MEASURE_REQUEST: MeasureRequestContext,
    EmailKind.STATUS_UPDATE: StatusUpdateContext,
    EmailKind.CAUSE_ANALYSIS_REQUEST: CauseAnalysisRequestContext,
    EmailKind.ACTION_MEETING_INVITATION: MeetingInvitationContext,
    EmailKind.ACTION_PLAN_REQUEST: ActionPlanRequestContext,
    EmailKind.ACTION_REQUEST: ActionRequestContext,
    EmailKind.ACTION_PLAN_OVERVIEW: ActionPlanOverviewContext,
    EmailKind.RESPONSE_REQUEST: ResponseRequestContext,
    EmailKind.RESPONSE_APPROVAL_REQUEST: ResponseApprovalRequestContext,
    EmailKind.RESPONSE: ResponseContext,
    EmailKind.SURVEY_REQUEST: SurveyRequestContext,
    EmailKind.EFFECTIVENESS_REQUEST: EffectivenessRequestContext,
    EmailKind.DECISION_NOTICE: DecisionNoticeContext,
    EmailKind.CLOSING_NOTICE: ClosingNoticeContext,
    EmailKind.INCIDENT_REPORT: IncidentReportContext,
    EmailKind.REVIEW_REPORT: ReviewReportContext,
    EmailKind.SIGN_IN: SignInContext,
    EmailKind.TREND_ALERT: TrendAlertContext,
}

SUBJECTS: dict[EmailKind, str] = {
    EmailKind.REMINDER: "Reminder: complaint %(reference)s is waiting for you",
    EmailKind.ESCALATION: "Overdue: complaint %(reference)s needs attention",
    EmailKind.ACKNOWLEDGEMENT: "We have received your complaint %(reference)s",
    EmailKind.ASSESSMENT_REQUEST: "Assessment needed: complaint %(reference)s",
    EmailKind.NOT_OURS_EXPLANATION: "The outcome of your complaint %(reference)s",
    EmailKind.CONTAINMENT_REQUEST: "Containment meeting minutes needed: complaint %(reference)s",
    EmailKind.INFO_REQUEST: "A question about your complaint %(reference)s",
    EmailKind.NOT_OURS_APPROVAL_REQUEST: "Approval needed: complaint %(reference)s is not ours",
    EmailKind.MEETING_INVITATION: "Urgent containment meeting: complaint %(reference)s",
    EmailKind.MEASURE_REQUEST: "Interim measure for you: complaint %(reference)s",
    EmailKind.STATUS_UPDATE: "News about your complaint %(reference)s",
    EmailKind.CAUSE_ANALYSIS_REQUEST: "Root cause analysis for you: complaint %(reference)s",
    EmailKind.ACTION_MEETING_INVITATION: "Root-cause meeting: complaint %(reference)s",
    EmailKind.ACTION_PLAN_REQUEST: "Actions to decide: complaint %(reference)s",
    EmailKind.ACTION_REQUEST: "Corrective action for you: complaint %(reference)s",
    EmailKind.ACTION_PLAN_OVERVIEW: "Action plan to follow: complaint %(reference)s",
    EmailKind.RESPONSE_REQUEST: "Answer the complainant: complaint %(reference)s",
    EmailKind.RESPONSE_APPROVAL_REQUEST: "Approval needed: the answer to complaint %(reference)s",
    EmailKind.RESPONSE: "Our answer to your complaint %(reference)s",
    EmailKind.SURVEY_REQUEST: "How did we handle your complaint %(reference)s?",
    EmailKind.EFFECTIVENESS_REQUEST: "Effectiveness check: complaint %(reference)s",
    EmailKind.DECISION_NOTICE: "The complainant's decision: complaint %(reference)s",
    EmailKind.CLOSING_NOTICE: "Closed: complaint %(reference)s",
    EmailKind.INCIDENT_REPORT: "Incident report %(reference)s",
    EmailKind.REVIEW_REPORT: "Complaint trend analysis %(reference)s",
    EmailKind.SIGN_IN: "Your sign-in link to the reviews (%(reference)s)",
    EmailKind.TREND_ALERT: "Recurring complaints: %(reference)s",
}


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_email(
    kind: EmailKind, context: EmailContext, *, locale: Locale, zone: ZoneInfo
) -> RenderedEmail:
    """Render an email's subject, text part and HTML part in the recipient's language."""
    if not isinstance(context, CONTEXTS[kind]):
        raise TypeError(f"{kind} needs a {CONTEXTS[kind].__name__}")
    _ = translator(locale)
    values = {
        **dict(context),
        "_": _,
        "when": lambda moment: format_datetime(moment, zone, locale),
        "lang": locale.value,
    }
    env = environment()
    text = env.get_template(f"email/{kind.value}.txt.j2").render(values)
    html = env.get_template(f"email/{kind.value}.html.j2").render(values)
    # The subject is a header: no line breaks may reach it, whatever the data holds.
    subject = " ".join(_(SUBJECTS[kind], reference=context.reference).split())
    return RenderedEmail(subject=subject, text=text, html=html)
