"""The chair's minutes of a management review: refused when they name people the
organization does not know, recorded once, taken by the review's run, and turned into
actions (one per decision) and the record everyone gets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.enums import StepStatus
from complaints.management.contracts import ReviewMinutes
from complaints.management.decide import (
    OPERATOR,
    DecisionRefused,
    ask_owner,
    decide_task,
    due_at_on,
    minutes_task,
    open_action_of,
)
from complaints.management.record import send_record
from complaints.models import ManagementReview, Review, ReviewTask, TaskKind
from complaints.organization import Organization
from complaints.settings import Settings


def check_minutes(org: Organization, minutes: ReviewMinutes) -> None:
    """Refuse minutes that name people the organization file does not know."""
    for number, decision in enumerate(minutes.decisions, 1):
        if decision.owner not in org.people:
            raise DecisionRefused(f"owner_{number}", f"unknown owner {decision.owner!r}")
    unknown = [key for key in minutes.attended if key not in org.people]
    if unknown:
        raise DecisionRefused("attended", f"unknown people: {', '.join(unknown)}")


def record_minutes(
    session: Session,
    org: Organization,
    task: ReviewTask,
    minutes: ReviewMinutes,
    *,
    by: str,
    now: datetime,
) -> bool:
    """Record the minutes once; return False if they had been recorded already."""
    if task.kind is not TaskKind.MINUTES:
        raise ValueError(f"task {task.id} takes no minutes")
    check_minutes(org, minutes)
    payload = minutes.model_dump(mode="json", exclude={"decided_via"})
    return decide_task(session, task, payload, by, now)


def take_minutes(
    session: Session,
    org: Organization,
    review_id: uuid.UUID,
    received: ReviewMinutes | None = None,
    *,
    now: datetime,
) -> ReviewMinutes | None:
    """Return the recorded minutes, marking them taken by the review's run.

    ``received``: minutes an operator gave in the Prefect UI, recorded here if the chair
    had recorded none. None while nobody has.
    """
    task = minutes_task(session, review_id)
    if task.status is StepStatus.OPEN and received is not None:
        record_minutes(session, org, task, received, by=OPERATOR, now=now)
    if task.status is not StepStatus.DECIDED or task.decision is None:
        return None
    if task.applied_at is None:
        task.applied_at = now
    return ReviewMinutes.model_validate(task.decision)


def decided_minutes_not_applied(
    session: Session, limit: int = 50
) -> list[tuple[uuid.UUID, dict[str, Any]]]:
    """Return the runs waiting for minutes recorded through a link (run id, minutes)."""
    rows = session.execute(
        select(ManagementReview.flow_run_id, ReviewTask.decision)
        .join(ReviewTask, ReviewTask.review_id == ManagementReview.review_id)
        .where(
            ReviewTask.kind == TaskKind.MINUTES,
            ReviewTask.status == StepStatus.DECIDED,
            ReviewTask.applied_at.is_(None),
            ManagementReview.flow_run_id.is_not(None),
        )
        .order_by(ReviewTask.decided_at)
        .limit(limit)
    ).all()
    return [(run_id, dict(decision or {})) for run_id, decision in rows if run_id is not None]


def apply_minutes(
    session: Session, org: Organization, settings: Settings, review_id: uuid.UUID, *, now: datetime
) -> list[uuid.UUID]:
    """Open one action per decision, ask each owner, and send everyone the record (once)."""
    minutes = take_minutes(session, org, review_id, now=now)
    if minutes is None:
        raise LookupError(f"review {review_id} has no minutes yet")
    management = session.get_one(ManagementReview, review_id)
    review = session.get_one(Review, review_id)
    message_ids = []
    for number, decision in enumerate(minutes.decisions, 1):
        task = open_action_of(session, review_id, number)
        if task is not None:
            continue  # opened by an earlier execution; its email is queued
        task = ReviewTask(
            id=uuid.uuid4(),
            review_id=review_id,
            kind=TaskKind.ACTION,
            number=number,
            assignee=decision.owner,
            status=StepStatus.OPEN,
            opened_at=now,
            due_at=due_at_on(org, decision.due_on),
            details={"area": decision.area.value, "description": decision.description},
            notices=[],
            history=[],
        )
        session.add(task)
        session.flush()
        message_ids.append(ask_owner(session, org, settings, review, task, now=now).id)
    message_ids += send_record(session, org, settings, management, review, minutes, now=now)
    return message_ids


# The next review's run starts at this local time.
CONVENE_TIME = time(9, 0)
# The next review is convened this many days before the day the minutes name for it (or
# at once, when that day is nearer), so its pack and invitation arrive ahead of it.
NEXT_REVIEW_NOTICE_DAYS = 7


@dataclass(frozen=True)
class NextReview:
    """When the next review's run starts, and in how many days it then meets."""

    starts_at: datetime
    meeting_in_days: int


def next_review(org: Organization, minutes: ReviewMinutes, now: datetime) -> NextReview:
    """Return when to convene the review the minutes set, so that it meets on their day."""
    zone = org.zone_of()
    today = now.astimezone(zone).date()
    lead = min(NEXT_REVIEW_NOTICE_DAYS, max(0, (minutes.next_review_on - today).days))
    starts_on = minutes.next_review_on - timedelta(days=lead)
    starts_at = datetime.combine(starts_on, CONVENE_TIME, tzinfo=zone).astimezone(UTC)
    return NextReview(max(starts_at, now), lead)
