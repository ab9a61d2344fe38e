"""What people decide in a management review: the chair's minutes, recorded once and
then turned into actions (one owner and a due date each, ISO 10002 8.6); an owner's
report that an action is done, with evidence; a quality lead's change of an action.

Every change is recorded once (the task's status moves only from open), so a page posted
twice, or a run that repeats a step, changes nothing more.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from pydantic import TypeAdapter
from pydantic_core import to_jsonable_python
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from complaints.enums import Locale, StepStatus
from complaints.i18n import translator
from complaints.mail import outbox
from complaints.mail.compose import queue_staff_email
from complaints.management.content import review_content
from complaints.management.contracts import ActionDone, ReviewMinutes
from complaints.management.emails import ReviewActionRequestContext, ReviewRecordContext
from complaints.management.links import issue_link
from complaints.management.pack import ReviewPack, action_status
from complaints.models import ManagementReview, OutboxMessage, Review, ReviewTask, TaskKind
from complaints.organization import Organization, Person
from complaints.report.pdf import render_pdf
from complaints.reviews.issue import store_file
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


def check_minutes(org: Organization, minutes: ReviewMinutes) -> None:
    """Refuse minutes that name people the organization file does not know."""
    for number, decision in enumerate(minutes.decisions, 1):
        if decision.owner not in org.people:
            raise DecisionRefused(f"owner_{number}", f"unknown owner {decision.owner!r}")
    unknown = [key for key in minutes.attended if key not in org.people]
    if unknown:
        raise DecisionRefused("attended", f"unknown people: {', '.join(unknown)}")


def _decide(
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
    return _decide(session, task, payload, by, now)


def minutes_task(session: Session, review_id: uuid.UUID) -> ReviewTask:
    task = session.scalars(
        select(ReviewTask).where(
            ReviewTask.review_id == review_id, ReviewTask.kind == TaskKind.MINUTES
        )
    ).one()
    return task


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


def due_at_on(org: Organization, day: Any) -> datetime:
    """Return when an action due on a day is due: DUE_TIME there, in UTC."""
    return datetime.combine(day, DUE_TIME, tzinfo=org.zone_of()).astimezone(UTC)


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
        task = _action(session, review_id, number)
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


def _action(session: Session, review_id: uuid.UUID, number: int) -> ReviewTask | None:
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
    return queue_staff_email(
        session,
        person,
        org,
        context,
        dedup_key=f"review:{review.id}:action:{occasion}:{person.key}",
        now=now,
    )


def record_of(session: Session, review: Review, at: datetime) -> tuple[ReviewPack, list[Any]]:
    """Return a review's pack and its own actions as they stand at a moment."""
    pack = TypeAdapter(ReviewPack).validate_python(review.figures)
    actions = session.scalars(
        select(ReviewTask)
        .where(ReviewTask.review_id == review.id, ReviewTask.kind == TaskKind.ACTION)
        .order_by(ReviewTask.number)
    ).all()
    return pack, [action_status(task, review.period_label, at) for task in actions]


def record_pdf(org: Organization, review: Review, session: Session, locale: Locale) -> bytes:
    """Return the review's record in one language, as PDF (its actions as they stand now)."""
    task = minutes_task(session, review.id)
    minutes = ReviewMinutes.model_validate(task.decision) if task.decision else None
    pack, actions = record_of(session, review, task.decided_at or review.created_at)
    return render_pdf(review_content(pack, org, locale, minutes=minutes, decided=actions))


def send_record(
    session: Session,
    org: Organization,
    settings: Settings,
    management: ManagementReview,
    review: Review,
    minutes: ReviewMinutes,
    *,
    now: datetime,
) -> list[uuid.UUID]:
    """Keep the record's PDF in each participant's language and mail it to them."""
    people = [org.person(k) for k in management.participants if k in org.people]
    files = {}
    for locale in sorted({Locale(p.locale) for p in people}):
        name = f"{review.period_label}-record-{locale.value}.pdf"
        kept = next((f for f in review.files if f.filename == name), None)
        files[locale] = kept or store_file(
            session,
            settings,
            review,
            name,
            "application/pdf",
            record_pdf(org, review, session, locale),
        )
    return [
        _mail_record(session, org, review, minutes, person, files[Locale(person.locale)], now)
        for person in people
    ]


def _mail_record(
    session: Session,
    org: Organization,
    review: Review,
    minutes: ReviewMinutes,
    person: Person,
    kept: Any,
    now: datetime,
) -> uuid.UUID:
    _ = translator(Locale(person.locale))
    decisions = [
        f"{_(f'mr.area.{d.area.value}')}: {d.description} "
        f"({org.person(d.owner).name}, {d.due_on.isoformat()})"
        for d in minutes.decisions
    ]
    context = ReviewRecordContext(
        reference=review.period_label,
        recipient_name=person.name,
        organization=org.name,
        decisions=decisions,
        next_review_on=minutes.next_review_on.isoformat(),
        attachments=[kept.filename],
    )
    message = queue_staff_email(
        session,
        person,
        org,
        context,
        dedup_key=f"review:{review.id}:record:{person.key}",
        attachments=[outbox.StoredAttachment(kept.id, kept.filename, kept.content_type)],
        now=now,
    )
    return message.id


def report_done(
    session: Session, task: ReviewTask, done: ActionDone, *, by: str, now: datetime
) -> bool:
    """Record once that an action is done, with its note and evidence."""
    if task.kind is not TaskKind.ACTION:
        raise ValueError(f"task {task.id} is no action")
    return _decide(session, task, to_jsonable_python(done.model_dump()), by, now)


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
    task.assignee = change.owner or task.assignee
    if change.due_at is not None:
        task.due_at = change.due_at
        task.notices = []  # reminders and escalations count from the new due time
    task.history = [*task.history, entry]
    session.flush()
    review = session.get_one(Review, task.review_id)
    return ask_owner(session, org, settings, review, task, now=now, reason=change.reason)
