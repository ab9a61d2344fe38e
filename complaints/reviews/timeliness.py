"""Timeliness against the organization's own time limits (ISO 10002 8.4): the
acknowledgement, the assessment, the 48-hour containment, what was overdue at the
period's end, and the escalations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from complaints.enums import StepKind
from complaints.models import Complaint, OutboxMessage, Step, StepNotice
from complaints.organization import Organization
from complaints.reviews.figures import (
    Period,
    Share,
    Timeliness,
)
from complaints.reviews.queries import (
    hours_between,
    open_at,
    quantile,
    received_in,
)

ACKNOWLEDGEMENT_KIND = "acknowledgement"


def _share(
    session: Session,
    hours: ColumnElement[float],
    met: ColumnElement[bool],
    where: list[ColumnElement[bool]],
) -> Share:
    rows = session.execute(select(hours, met).where(*where)).all()
    taken = [float(h) for h, _ in rows if h is not None]
    return Share(
        met=sum(1 for _, ok in rows if ok),
        total=len(rows),
        median_hours=quantile(taken, 0.5),
        p90_hours=quantile(taken, 0.9),
    )


def timeliness(
    session: Session, org: Organization, period: Period, scope: list[ColumnElement[bool]]
) -> Timeliness:
    """Return the period's complaints against the organization's time limits (8.4)."""
    end = period.end
    new = [received_in(period.start, end), *scope]
    ack = (
        select(OutboxMessage.complaint_id, OutboxMessage.sent_at)
        .where(OutboxMessage.kind == ACKNOWLEDGEMENT_KIND)
        .subquery()
    )
    ack_hours = hours_between(session, ack.c.sent_at, Complaint.received_at)
    acknowledgement = _share(
        session,
        ack_hours,
        and_(ack.c.sent_at.is_not(None), ack_hours <= org.reviews.acknowledgement_hours),
        [*new, ack.c.complaint_id == Complaint.id],
    )
    return Timeliness(
        acknowledgement=acknowledgement,
        assessment=_step_share(session, StepKind.ASSESSMENT, end, new),
        containment=_step_share(session, StepKind.CONTAINMENT, end, new),
        overdue_steps_at_end=_late_at(session, end, scope, actions=False),
        overdue_actions_at_end=_late_at(session, end, scope, actions=True),
        escalations=int(
            session.scalar(
                select(func.count())
                .select_from(StepNotice)
                .join(Step, Step.id == StepNotice.step_id)
                .join(Complaint, Complaint.id == Step.complaint_id)
                .where(
                    StepNotice.key.like("escalation-%"),
                    StepNotice.outcome == "sent",
                    StepNotice.at >= period.start,
                    StepNotice.at < end,
                    *scope,
                )
            )
            or 0
        ),
    )


def _step_share(
    session: Session, kind: StepKind, end: datetime, new: list[ColumnElement[bool]]
) -> Share:
    """The latest step of a kind of each complaint: decided in time, hours from receipt.

    A step still open at the period's end counts once it is past due (not met).
    """
    latest = (
        select(Step.complaint_id, func.max(Step.opened_at).label("opened_at"))
        .where(
            Step.kind == kind,
            Step.opened_at < end,
            Step.complaint_id.in_(select(Complaint.id).where(*new)),
        )
        .group_by(Step.complaint_id)
        .subquery()
    )
    decided = and_(Step.decided_at.is_not(None), Step.decided_at < end)
    hours = case((decided, hours_between(session, Step.decided_at, Complaint.received_at)))
    met = and_(decided, or_(Step.due_at.is_(None), Step.decided_at <= Step.due_at))
    return _share(
        session,
        hours,
        met,
        [
            *new,
            latest.c.complaint_id == Complaint.id,
            Step.complaint_id == Complaint.id,
            Step.kind == kind,
            Step.opened_at == latest.c.opened_at,
            or_(decided, Step.due_at < end),
        ],
    )


def _late_at(
    session: Session, end: datetime, scope: list[ColumnElement[bool]], *, actions: bool
) -> int:
    kind = Step.kind == StepKind.ACTION if actions else Step.kind != StepKind.ACTION
    return int(
        session.scalar(
            select(func.count())
            .select_from(Step)
            .join(Complaint, Complaint.id == Step.complaint_id)
            .where(kind, open_at(end), Step.due_at < end, *scope)
        )
        or 0
    )
