"""The emails that are not a step's request: to the complainant (acknowledgement, status,
outcome), to staff (invitations, reminders, notices, reports) and to quality leads."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from complaints.enums import EmailKind
from complaints.mail.emails import ComplaintEmail, EmailContext


class AcknowledgementContext(ComplaintEmail):
    kind = EmailKind.ACKNOWLEDGEMENT
    subject = "We have received your complaint %(reference)s"

    received_at: datetime
    contain_by: datetime
    status_url: str
    # Attachments of an emailed complaint the upload rules refused (their names).
    files_refused: list[str] = Field(default_factory=list)


class NotOursExplanationContext(ComplaintEmail):
    kind = EmailKind.NOT_OURS_EXPLANATION
    subject = "The outcome of your complaint %(reference)s"

    explanation: str
    status_url: str


class StatusUpdateContext(ComplaintEmail):
    kind = EmailKind.STATUS_UPDATE
    subject = "News about your complaint %(reference)s"

    stage: str
    next_due: datetime | None
    status_url: str
    # Sent because nothing visible happened for a while (not because the stage changed).
    periodic: bool


class MeetingInvitationContext(ComplaintEmail):
    """A meeting's calendar invitation (its ``.ics`` attached), first or updated."""

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


class ContainmentInvitationContext(MeetingInvitationContext):
    kind = EmailKind.MEETING_INVITATION
    subject = "Urgent containment meeting: complaint %(reference)s"


class RootCauseInvitationContext(MeetingInvitationContext):
    kind = EmailKind.ACTION_MEETING_INVITATION
    subject = "Root-cause meeting: complaint %(reference)s"


class ReminderContext(ComplaintEmail):
    kind = EmailKind.REMINDER
    subject = "Reminder: complaint %(reference)s is waiting for you"

    step_name: str
    due_at: datetime
    link_url: str


class EscalationContext(ReminderContext):
    kind = EmailKind.ESCALATION
    subject = "Overdue: complaint %(reference)s needs attention"

    owner_name: str
    level: int


class ActionLine(BaseModel):
    action_type: str
    action: str
    owner_name: str
    due_at: datetime
    link_url: str


class ActionPlanOverviewContext(ComplaintEmail):
    kind = EmailKind.ACTION_PLAN_OVERVIEW
    subject = "Action plan to follow: complaint %(reference)s"

    actions: list[ActionLine]


class DecisionNoticeContext(ComplaintEmail):
    """To the employees concerned: how the complainant decided on the answer."""

    kind = EmailKind.DECISION_NOTICE
    subject = "The complainant's decision: complaint %(reference)s"

    accepted: bool
    reason: str
    rounds: int
    decided_at: datetime


class ClosingNoticeContext(ComplaintEmail):
    kind = EmailKind.CLOSING_NOTICE
    subject = "Closed: complaint %(reference)s"

    resolution: str
    closed_at: datetime
    reopen_url: str


class IncidentReportContext(ComplaintEmail):
    """To a quality lead: the incident report, attached as PDF and HTML."""

    kind = EmailKind.INCIDENT_REPORT
    subject = "Incident report %(reference)s"

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

    kind = EmailKind.REVIEW_REPORT
    subject = "Complaint trend analysis %(reference)s"

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

    kind = EmailKind.TREND_ALERT
    subject = "Recurring complaints: %(reference)s"

    family: str
    cause: str
    count: int
    window_days: int
    since: datetime
    references: list[str]
    review_url: str


class RetentionReportContext(EmailContext):
    """What the retention job erased, in counts (PIPL, GDPR: kept no longer than needed)."""

    kind = EmailKind.RETENTION_REPORT
    subject = "Personal data erased after its retention: %(reference)s"

    as_of: datetime
    keep_personal_data_days: int
    keep_uploads_days: int
    complaints: int
    texts: int
    files: int
    addresses: int
    exports: int


class OperatorAlertContext(EmailContext):
    """One of the automations shipped with the system fired (a run failed, mail failing,
    a containment about to be missed): what, about which, and where to look."""

    kind = EmailKind.OPERATOR_ALERT
    subject = "Operator alert: %(reference)s"

    alert: str
    explanation: str
    occurred: datetime
    console_url: str


class SignInContext(EmailContext):
    """A quality lead's single-use link into the reviews area."""

    kind = EmailKind.SIGN_IN
    subject = "Your sign-in link to the reviews (%(reference)s)"

    url: str
    expires_at: datetime
