"""The deadline watch: reminders before a waiting step is due, escalation after.

It runs outside the suspended flows (the ``deadline-watch`` deployment). Each notice is
claimed by inserting a unique (step, notice) row in the same transaction that queues its
emails, so a watch that runs twice, or two watches at once, send each notice once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, load_only, sessionmaker

from complaints.audit import record_event
from complaints.deadlines.schedule import Notice, due_notices
from complaints.enums import EventKind, NoticeKind, Stage, StepStatus
from complaints.mail.complainant import tell_progress
from complaints.models import Complaint, OutboxMessage, Step, StepNotice
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps.notices import give_notice

# What the audit trail records for each notice given (a superseded one records nothing).
EVENT_OF_NOTICE = {
    NoticeKind.REQUEST: EventKind.STEP_REQUESTED,
    NoticeKind.REMINDER: EventKind.STEP_REMINDED,
    NoticeKind.ESCALATION: EventKind.STEP_OVERDUE,
}


@dataclass(frozen=True)
class Noticed:
    """A notice a step was given, for the operators' view in Prefect (as it happens):
    ``reminded`` before its due time, ``overdue`` at the first escalation, ``escalated``
    at each later one."""

    complaint_id: uuid.UUID
    reference: str
    flow_run_id: uuid.UUID | None
    step_kind: str
    step_key: str
    event: str
    level: int


def event_of(notice: Notice) -> str:
    """Return the operators' event name of a notice given."""
    if notice.kind is NoticeKind.REMINDER:
        return "reminded"
    return "overdue" if notice.level <= 1 else "escalated"


@dataclass
class WatchReport:
    message_ids: list[uuid.UUID] = field(default_factory=list)
    noticed: list[Noticed] = field(default_factory=list)
    superseded: int = 0
    status_updates: int = 0


def steps_with_notices_due(
    sessions: sessionmaker[Session], org: Organization, now: datetime
) -> list[uuid.UUID]:
    """Return the open steps that have a notice to give at ``now``.

    Every step that waits for someone with a due time, its complaint's grade and the
    notices it had are read in two queries of one short read; only the steps found here
    get a transaction of their own (most open steps have nothing due at any moment).
    """
    with sessions() as session:
        steps = session.scalars(
            select(Step)
            .where(Step.status == StepStatus.OPEN, Step.due_at.is_not(None))
            .options(
                load_only(
                    Step.id, Step.opened_at, Step.due_at, Step.details, Step.assignee, Step.status
                ),
                joinedload(Step.complaint).load_only(Complaint.grade),
            )
        ).all()
        given: dict[uuid.UUID, set[str]] = defaultdict(set)
        for step_id, key in session.execute(
            select(StepNotice.step_id, StepNotice.key)
            .join(Step, Step.id == StepNotice.step_id)
            .where(Step.status == StepStatus.OPEN)
        ):
            given[step_id].add(key)
        return [step.id for step in steps if due_notices(step, org, now, given[step.id])]


def claim_notice(session: Session, step: Step, notice: Notice, now: datetime) -> bool:
    """Claim a notice for this watch; False if another watch had claimed it."""
    outcome = "superseded" if notice.kind is NoticeKind.SUPERSEDED else "sent"
    try:
        with session.begin_nested():
            session.add(StepNotice(step_id=step.id, key=notice.key, outcome=outcome, at=now))
    except IntegrityError:
        return False
    if notice.kind is not NoticeKind.SUPERSEDED:
        record_event(
            session,
            step.complaint_id,
            EVENT_OF_NOTICE[notice.kind],
            data={
                "key": step.key,
                "notice": notice.key,
                "people": list(notice.people),
            },
            at=now,
        )
    return True


def notices_given(session: Session, step_id: uuid.UUID) -> set[str]:
    """Return the keys of the notices a step has had."""
    return set(session.scalars(select(StepNotice.key).where(StepNotice.step_id == step_id)))


def _noticed(step: Step, notice: Notice) -> Noticed:
    complaint = step.complaint
    return Noticed(
        complaint.id,
        complaint.reference,
        complaint.flow_run_id,
        step.kind.value,
        step.key,
        event_of(notice),
        notice.level,
    )


def watch(
    sessions: sessionmaker[Session], org: Organization, settings: Settings, now: datetime
) -> WatchReport:
    """Give every open step the notices that have come (one transaction per step that has
    one), and every complainant who heard nothing for a while a status email."""
    report = WatchReport()
    for step_id in steps_with_notices_due(sessions, org, now):
        with sessions.begin() as session:
            step = session.get_one(Step, step_id)
            if step.status is not StepStatus.OPEN:
                continue  # decided meanwhile: no more reminders
            for notice in due_notices(step, org, now, notices_given(session, step.id)):
                if not claim_notice(session, step, notice, now):
                    continue
                if notice.kind is NoticeKind.SUPERSEDED:
                    report.superseded += 1
                    continue
                messages = give_notice(session, step, notice, org, settings, now=now)
                report.message_ids += [m.id for m in messages]
                if notice.kind in (NoticeKind.REMINDER, NoticeKind.ESCALATION):
                    report.noticed.append(_noticed(step, notice))
    updates = periodic_status_updates(sessions, org, settings, now)
    report.message_ids += updates
    report.status_updates = len(updates)
    return report


def periodic_status_updates(
    sessions: sessionmaker[Session], org: Organization, settings: Settings, now: datetime
) -> list[uuid.UUID]:
    """Tell each complainant who heard nothing for the policy's interval where things stand.

    The interval slot since receipt is part of the email's dedup key, so two watches in
    the same slot send one email. "Heard" is read on the watch's own clock: the emails
    this rule queues count as sent at ``now``, so a watch replayed for a past window (or
    on a moved clock) decides as it would have then.
    """
    days = org.deadlines.status_every_days
    if days <= 0:
        return []
    interval = timedelta(days=days)
    open_ids = _not_told_within(sessions, interval, now)
    queued: list[uuid.UUID] = []
    for complaint_id in open_ids:
        with sessions.begin() as session:
            complaint = session.get_one(Complaint, complaint_id)
            last_told = session.scalar(
                select(func.max(OutboxMessage.created_at)).where(
                    OutboxMessage.complaint_id == complaint.id,
                    OutboxMessage.recipient == complaint.complainant_email,
                )
            )
            if now - (last_told or complaint.received_at) < interval:
                continue
            slot = int((now - complaint.received_at) / interval)
            message, new = tell_progress(
                session,
                complaint,
                org,
                settings,
                occasion=f"status-{slot}",
                periodic=True,
                now=now,
            )
            if new:
                queued.append(message.id)
    return queued


def _not_told_within(
    sessions: sessionmaker[Session], interval: timedelta, now: datetime
) -> list[uuid.UUID]:
    """Return the open complaints whose complainant heard nothing for ``interval``.

    Read in one query; the caller checks each again in its own transaction.
    """
    with sessions() as session:
        last_told = (
            select(OutboxMessage.complaint_id, func.max(OutboxMessage.created_at).label("at"))
            .join(Complaint, Complaint.id == OutboxMessage.complaint_id)
            .where(OutboxMessage.recipient == Complaint.complainant_email)
            .group_by(OutboxMessage.complaint_id)
            .subquery()
        )
        candidates = session.execute(
            select(Complaint.id, Complaint.received_at, last_told.c.at)
            .outerjoin(last_told, last_told.c.complaint_id == Complaint.id)
            # After the answer the complainant has heard what there is to hear; the
            # survey is the next thing they get.
            .where(
                Complaint.stage.not_in([Stage.CLOSED, Stage.FOLLOW_UP]),
                Complaint.received_at <= now - interval,
            )
        ).all()
    return [cid for cid, received, told in candidates if now - (told or received) >= interval]
