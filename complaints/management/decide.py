"""Deciding a management review's task once (its status moves only from open, so a page
posted twice, or a run that repeats a step, changes nothing more); and its actions (ISO
10002 8.6: one owner and a due date each): asked of their owner, reported done with
evidence, changed by a quality lead with a reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from complaints.enums import StepStatus
from complaints.mail.compose import queue_staff_email
from complaints.management.contracts import ActionDone
from complaints.management.emails import ReviewActionRequestContext
from complaints.management.links import issue_link
from complaints.models import OutboxMessage, Review, ReviewLink, ReviewTask, TaskKind
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.contracts import ActionChange

# An action is due at the close of business on the day the minutes name.
DUE_TIME = time(17, 0)
OPERATOR = "operator"


class DecisionRefused(ValueError):
    """Input the organization's records refuse: ``field`` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def decide_task(
    session: Session, task: ReviewTask, decision: dict[str, Any], by: str, now: datetime
) -> bool:
    changed = session.execute(
        update(ReviewTask)
        .where(ReviewTask.id == task.id, ReviewTask.status == StepStatus.OPEN)
        .values(status=StepStatus.DECIDED, decided_at=now, decided_by=by, decision=decision)
        .execution_options(synchronize_session=False)
    )
    session.refresh(task)
    return getattr(changed, "rowcount", 0) == 1


def minutes_task(session: Session, review_id: uuid.UUID) -> ReviewTask:
    task = session.scalars(
        select(ReviewTask).where(
            ReviewTask.review_id == review_id, ReviewTask.kind == TaskKind.MINUTES
        )
    ).one()
    return task


def due_at_on(org: Organization, day: Any) -> datetime:
    """Return when an action due on a day is due: DUE_TIME there, in UTC."""
    return datetime.combine(day, DUE_TIME, tzinfo=org.zone_of()).astimezone(UTC)


def open_action_of(session: Session, review_id: uuid.UUID, number: int) -> ReviewTask | None:
    return session.scalars(
        select(ReviewTask).where(
            ReviewTask.review_id == review_id,
            ReviewTask.kind == TaskKind.ACTION,
            ReviewTask.number == number,
        )
    ).first()


def ask_owner(
    session: Session,
    org: Organization,
    settings: Settings,
    review: Review,
    task: ReviewTask,
    *,
    now: datetime,
    reason: str = "",
) -> OutboxMessage:
    """Queue the action's request to its (current) owner with a link of their own."""
    person = org.person(task.assignee)
    context = ReviewActionRequestContext(
        reference=review.period_label,
        recipient_name=person.name,
        organization=org.name,
        area=str(task.details.get("area", "")),
        description=str(task.details.get("description", "")),
        due_at=task.due_at,
        link_url=issue_link(session, task, person.key, settings, now=now),
        reassigned_because=reason,
    )
    occasion = f"{task.number}:{len(task.history)}"
    message, _new = queue_staff_email(
        session,
        person,
        org,
        context,
        dedup_key=f"review:{review.id}:action:{occasion}:{person.key}",
        now=now,
    )
    return message


def report_done(
    session: Session, task: ReviewTask, done: ActionDone, *, by: str, now: datetime
) -> bool:
    """Record once that an action is done, with its note and evidence."""
    if task.kind is not TaskKind.ACTION:
        raise ValueError(f"task {task.id} is no action")
    return decide_task(session, task, to_jsonable_python(done.model_dump()), by, now)


def change_action(
    session: Session,
    org: Organization,
    settings: Settings,
    task: ReviewTask,
    change: ActionChange,
    *,
    by: str,
    now: datetime,
) -> OutboxMessage | None:
    """Give an open action another owner or due date, with the reason; the owner (new
    or not) is asked again with a fresh link. Returns that email."""
    if task.kind is not TaskKind.ACTION or task.status is not StepStatus.OPEN:
        raise DecisionRefused("owner", "only an open action can be changed")
    if change.owner is not None and change.owner not in org.people:
        raise DecisionRefused("owner", f"unknown owner {change.owner!r}")
    entry = {
        "at": now.isoformat(),
        "by": by,
        "reason": change.reason,
        "owner": [task.assignee, change.owner or task.assignee],
        "due_at": [task.due_at.isoformat(), (change.due_at or task.due_at).isoformat()],
    }
    if change.owner is not None and change.owner != task.assignee:
        # The previous owner's links stop working (as a corrective action's do).
        session.execute(
            delete(ReviewLink).where(
                ReviewLink.task_id == task.id, ReviewLink.recipient == task.assignee
            )
        )
    task.assignee = change.owner or task.assignee
    if change.due_at is not None:
        task.due_at = change.due_at
        task.notices = []  # reminders and escalations count from the new due time
    task.history = [*task.history, entry]
    session.flush()
    review = session.get_one(Review, task.review_id)
    return ask_owner(session, org, settings, review, task, now=now, reason=change.reason)
