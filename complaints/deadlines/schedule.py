"""The organization's deadline policy: the containment deadline, the date promised to the
complainant next, the clock that stands still while the complainant answers, and the
notices a waiting step gets.

Assessment and containment are counted from receipt (ISO 10002 7.5; the corrective-action
loop: contain within 48 hours), per grade once the grade is known, and move by the time
the clock stood still while waiting on the complainant (if the policy pauses it); each
step kind's own due rule is in the step catalogue. Reminders come before a due time and
escalations after it, up the organization's ladder; the deadline watch
(:mod:`complaints.ops.deadline_watch`) gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind, Grade, NoticeKind, Stage, StepKind, StepStatus
from complaints.models import Complaint, Step
from complaints.organization import Organization

PAUSE_REASON = "waiting for the complainant's information (organization policy)"


def paused(complaint: Complaint) -> timedelta:
    """Return how long the complaint's deadline clock stood still (waiting on the
    complainant, when the organization's policy pauses it)."""
    return timedelta(seconds=complaint.clock_paused_seconds)


def contain_by(complaint: Complaint, org: Organization) -> datetime:
    """Return the containment deadline: receipt + the grade's hours (+ any pause)."""
    hours = org.containment_hours(complaint.grade)
    return org.due_after(complaint.received_at, hours) + paused(complaint)


def next_commitment(complaint: Complaint, org: Organization) -> datetime | None:
    """Return the date the complainant is promised next (ISO 10002 7.3), if any.

    Internal due times (a measure, a question the complainant is to answer) are not
    commitments to the complainant: the assessment and the containment deadline are.
    """
    if complaint.stage in (Stage.RECEIVED, Stage.ASSESSMENT):
        open_assessments = [
            s.due_at
            for s in complaint.steps
            if s.kind is StepKind.ASSESSMENT and s.status is StepStatus.OPEN and s.due_at
        ]
        hours = org.deadlines.due_hours.assessment
        counted_from_receipt = org.due_after(complaint.received_at, hours) + paused(complaint)
        return min(open_assessments, default=counted_from_receipt)
    if complaint.stage is Stage.CONTAINMENT:
        return contain_by(complaint, org)
    if complaint.stage is Stage.RESPONSE:
        # The answer is promised by when the handler's draft (and its approval) is due.
        drafting = (StepKind.RESPONSE, StepKind.RESPONSE_APPROVAL)
        due = [
            s.due_at
            for s in complaint.steps
            if s.kind in drafting and s.status is StepStatus.OPEN and s.due_at
        ]
        return min(due, default=None)
    return None


def pause_clock_for(session: Session, step: Step) -> int:
    """Stand the deadline clock still for the time a decided step waited (once).

    Every due time counted from receipt moves by it; returns the seconds added.
    """
    if step.decided_at is None:
        raise ValueError(f"step {step.key} is still waiting")
    if step.details.get("clock_paused_seconds") is not None:
        return 0  # accounted for by an earlier execution
    waited = int((step.decided_at - step.opened_at).total_seconds())
    step.details = {**step.details, "clock_paused_seconds": waited}
    step.complaint.clock_paused_seconds += waited
    record_event(
        session,
        step.complaint_id,
        EventKind.CLOCK_PAUSED,
        data={"step": step.key, "seconds": waited, "reason": PAUSE_REASON},
    )
    return waited


@dataclass(frozen=True)
class Notice:
    """A request, reminder or escalation a step gets at a time (its key names it once)."""

    key: str
    kind: NoticeKind
    at: datetime
    people: tuple[str, ...]
    level: int = 0


def notices_for(step: Step, org: Organization) -> list[Notice]:
    """Return every notice a step can get, in time order.

    A step asked for later (the survey, the effectiveness check) first gets its request,
    and reminders only after it.
    """
    assert step.due_at is not None
    request_at = (step.details or {}).get("request_at")
    return plan_notices(
        org,
        opened_at=step.opened_at,
        due_at=step.due_at,
        assignee=step.assignee,
        # The grade picks the escalation ladder (a step being built has no complaint yet).
        grade=step.complaint.grade if step.complaint is not None else None,
        request_at=datetime.fromisoformat(request_at) if request_at else None,
    )


def plan_notices(
    org: Organization,
    *,
    opened_at: datetime,
    due_at: datetime,
    assignee: str,
    grade: Grade | None = None,
    request_at: datetime | None = None,
) -> list[Notice]:
    """Return every notice something waiting for a person can get, in time order: its
    request if asked for later, reminders before ``due_at``, escalations after it."""
    asked_at = opened_at
    notices = []
    if request_at is not None:
        asked_at = max(asked_at, request_at)
        notices.append(Notice("request", NoticeKind.REQUEST, asked_at, (assignee,)))
    notices += [
        Notice(
            f"reminder-{hours:g}h",
            NoticeKind.REMINDER,
            due_at - timedelta(hours=hours),
            (assignee,),
        )
        for hours in org.deadlines.reminders_before_hours
        if due_at - timedelta(hours=hours) > asked_at
    ]
    notices += [
        Notice(
            f"escalation-{level}",
            NoticeKind.ESCALATION,
            due_at + timedelta(hours=rung.after_hours),
            tuple(rung.people),
            level,
        )
        for level, rung in enumerate(org.escalation_ladder(grade), start=1)
    ]
    return sorted(notices, key=lambda notice: notice.at)


def due_notices(step: Step, org: Organization, now: datetime, done: set[str]) -> list[Notice]:
    """Return the notices a step has to be given at ``now`` (see :func:`reached`)."""
    return reached(notices_for(step, org), now, done)


def reached(notices: list[Notice], now: datetime, done: set[str]) -> list[Notice]:
    """Return the notices that have come and were not given yet.

    Of several reminders that came at once (the watch was down), only the latest is
    worth sending; the earlier ones are returned as superseded.
    """
    came = [n for n in notices if n.at <= now and n.key not in done]
    reminders = [n for n in came if n.kind is NoticeKind.REMINDER]
    latest = reminders[-1] if reminders else None
    return [
        n
        if n.kind is not NoticeKind.REMINDER or n is latest
        else Notice(n.key, NoticeKind.SUPERSEDED, n.at, n.people)
        for n in came
    ]
