"""The emails of a management review: its pack and invitation, an action's request,
the record once the minutes are in, and a task's reminder or escalation."""

from __future__ import annotations

from datetime import datetime

from complaints.enums import EmailKind
from complaints.mail.emails import EmailContext


class ManagementReviewContext(EmailContext):
    """The pack of a management review, with its invitation (and, for the chair, the
    link where the minutes are submitted)."""

    kind = EmailKind.MANAGEMENT_REVIEW
    subject = "Management review %(reference)s: inputs and invitation"

    meeting_at: datetime
    chair_name: str
    participant_names: list[str]
    earlier_actions: int
    open_actions: int
    open_systemic: int
    analysis: str
    minutes_url: str
    minutes_due_at: datetime
    attachments: list[str]


class ReviewActionRequestContext(EmailContext):
    """An action a management review decided, to its owner."""

    kind = EmailKind.REVIEW_ACTION_REQUEST
    subject = "Action from management review %(reference)s"

    area: str
    description: str
    due_at: datetime
    link_url: str
    # Set when a quality lead gave it to this owner: why.
    reassigned_because: str = ""


class ReviewRecordContext(EmailContext):
    """The record of a management review: decisions, owners, due dates (ISO 10002 8.6)."""

    kind = EmailKind.REVIEW_RECORD
    subject = "Record of management review %(reference)s"

    decisions: list[str]
    next_review_on: str
    attachments: list[str]


class ReviewTaskNoticeContext(EmailContext):
    """A reminder before a review task is due, or its escalation after."""

    kind = EmailKind.REVIEW_TASK_NOTICE
    subject = "Management review %(reference)s: a task waits for you"

    task_name: str
    description: str
    owner_name: str
    due_at: datetime
    link_url: str
    # 0: a reminder to the owner; 1, 2, ...: an escalation up the ladder.
    level: int = 0
