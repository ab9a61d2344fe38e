"""When each waiting step is due, and the notices it gets, by the organization's deadline
policy.

Assessment and containment are counted from receipt (ISO 10002 7.5; the corrective-action
loop: contain within 48 hours), per grade once the grade is known, and move by the time the clock
stood still while waiting on the complainant (if the policy pauses it). The other
steps are counted from when they open; an interim measure is due when its minutes say.
The survey and the effectiveness check are asked for days later: their request goes
out at a set time (through the deadline watch), and they are due counted from then.
Reminders come before a due time and escalations after it, up the organization's ladder;
the deadline watch (:mod:`complaints.ops.deadline_watch`) gives them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind, NoticeKind, Stage, StepKind, StepStatus
from complaints.models import Complaint, Step
from complaints.organization import Organization

PAUSE_REASON = "waiting for the complainant's information (organization policy)"


def due_at(
    complaint: Complaint,
    kind: StepKind,
    org: Organization,
    *,
    opened_at: datetime,
    details: dict[str, Any] | None = None,
) -> datetime:
    """Return when a step of ``kind`` opened at ``opened_at`` is due."""
    hours = org.deadlines.due_hours
    paused = timedelta(seconds=complaint.clock_paused_seconds)
    if kind is StepKind.ASSESSMENT:
        return org.due_after(complaint.received_at, hours.assessment) + paused
    if kind is StepKind.CONTAINMENT:
        return contain_by(complaint, org)
    if kind is StepKind.INFO_REQUEST:
        return org.due_after(opened_at, hours.info_request)
    if kind is StepKind.NOT_OURS_APPROVAL:
        return org.due_after(opened_at, hours.not_ours_approval)
    if kind is StepKind.ACTION_PLAN:
        return org.due_after(opened_at, hours.action_plan)
    if kind in (StepKind.RESPONSE, StepKind.RESPONSE_APPROVAL, StepKind.RESPONSE_DECISION):
        return org.due_after(opened_at, getattr(hours, kind.value))
    if kind in (StepKind.SURVEY, StepKind.EFFECTIVENESS):
        asked_at = request_at(kind, org, details or {}) or opened_at
        return org.due_after(max(asked_at, opened_at), getattr(hours, kind.value))
    if details is None or "due_at" not in details:
        raise ValueError(f"a {kind.value} step needs its due time")
    return datetime.fromisoformat(str(details["due_at"]))


def request_at(kind: StepKind, org: Organization, details: dict[str, Any]) -> datetime | None:
    """Return when a step asked for days later is asked for (None: when it opens).

    The survey follows the complainant's acceptance, the effectiveness check the last
    action's completion, each by the organization's follow-up days (calendar days).
    """
    policy = org.follow_up
    if kind is StepKind.SURVEY:
        since, days = details["accepted_at"], policy.survey_after_days
    elif kind is StepKind.EFFECTIVENESS:
        since, days = details["actions_closed_at"], policy.effectiveness_after_days
    else:
        return None
    return datetime.fromisoformat(str(since)) + timedelta(days=days)


def contain_by(complaint: Complaint, org: Organization) -> datetime:
    """Return the containment deadline: receipt + the grade's hours (+ any pause)."""
    hours = org.containment_hours(complaint.grade)
    paused = timedelta(seconds=complaint.clock_paused_seconds)
    return org.due_after(complaint.received_at, hours) + paused


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
        paused = timedelta(seconds=complaint.clock_paused_seconds)
        return min(open_assessments, default=org.due_after(complaint.received_at, hours) + paused)
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
    # The grade picks the escalation ladder (a step being built has no complaint yet).
    grade = step.complaint.grade if step.complaint is not None else None
    asked_at = step.opened_at
    notices = []
    if "request_at" in (step.details or {}):
        asked_at = max(asked_at, datetime.fromisoformat(step.details["request_at"]))
        notices.append(Notice("request", NoticeKind.REQUEST, asked_at, (step.assignee,)))
    notices += [
        Notice(
            f"reminder-{hours:g}h",
            NoticeKind.REMINDER,
            step.due_at - timedelta(hours=hours),
            (step.assignee,),
        )
        for hours in org.deadlines.reminders_before_hours
        if step.due_at - timedelta(hours=hours) > asked_at
    ]
    notices += [
        Notice(
            f"escalation-{level}",
            NoticeKind.ESCALATION,
            step.due_at + timedelta(hours=rung.after_hours),
            tuple(rung.people),
            level,
        )
        for level, rung in enumerate(org.escalation_ladder(grade), start=1)
    ]
    return sorted(notices, key=lambda notice: notice.at)


def due_notices(step: Step, org: Organization, now: datetime, done: set[str]) -> list[Notice]:
    """Return the notices that have come and were not given yet.

    Of several reminders that came at once (the watch was down), only the latest is
    worth sending; the earlier ones are returned as superseded.
    """
    reached = [n for n in notices_for(step, org) if n.at <= now and n.key not in done]
    reminders = [n for n in reached if n.kind is NoticeKind.REMINDER]
    latest = reminders[-1] if reminders else None
    return [
        n
        if n.kind is not NoticeKind.REMINDER or n is latest
        else Notice(n.key, NoticeKind.SUPERSEDED, n.at, n.people)
        for n in reached
    ]
