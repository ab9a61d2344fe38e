"""The trend analysis (ISO 10002 8.2-8.4), computed in SQL from our own records.

Prefect keeps events for days only; our database holds every complaint, step, email
and notice, so it is the source. Counts and groupings run in the database; only the
hours of one period's complaints come back, for their median and 90th percentile.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    String,
    Subquery,
    and_,
    case,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from complaints.contracts import DISSATISFIED_AT_MOST
from complaints.enums import EventKind, ProblemScope, StepKind, StepStatus
from complaints.models import Complaint, Event, OutboxMessage, Step, StepNotice
from complaints.organization import Organization
from complaints.reviews.figures import (
    PARETO_DIMENSIONS,
    Count,
    Filters,
    Outcomes,
    Period,
    PeriodCounts,
    Problems,
    Satisfaction,
    Share,
    Timeliness,
    TrendFigures,
)
from complaints.reviews.periods import previous_periods
from complaints.reviews.queries import (
    classification_at,
    hours_between,
    in_scope,
    latest_decision,
    quantile,
    received_in,
)

ACKNOWLEDGEMENT_KIND = "acknowledgement"


def analyse(
    session: Session, org: Organization, period: Period, filters: Filters | None = None
) -> TrendFigures:
    """Return the figures of one period for the complaints the filters select."""
    filters = filters or Filters()
    scope = in_scope(filters)
    earlier = previous_periods(period, org.reviews.previous_periods, org.zone_of())
    series = [period_counts(session, p, scope) for p in [*earlier, period]]
    return TrendFigures(
        period=period,
        filters=filters,
        counts=series[-1],
        series=series,
        pareto=pareto(session, period, scope),
        problems=problems(session, org, period, scope),
        timeliness=timeliness(session, org, period, scope),
        outcomes=outcomes(session, period, scope),
        satisfaction=satisfaction(session, period, scope),
    )


def period_counts(
    session: Session, period: Period, scope: list[ColumnElement[bool]]
) -> PeriodCounts:
    """Return how many complaints were received and closed in a period, and open at its end."""
    start, end = period.start, period.end
    new, closed, still_open = session.execute(
        select(
            func.count().filter(Complaint.received_at >= start),
            func.count().filter(Complaint.closed_at >= start, Complaint.closed_at < end),
            func.count().filter(or_(Complaint.closed_at.is_(None), Complaint.closed_at >= end)),
        ).where(Complaint.received_at < end, *scope)
    ).one()
    return PeriodCounts(period.label, int(new), int(closed), int(still_open))


def _grouped(
    session: Session,
    key: SQLColumnExpression[Any],
    where: list[ColumnElement[bool]],
    joined: Subquery | None = None,
) -> list[Count]:
    """Count complaints per key, most first (a key of a joined per-complaint subquery)."""
    # As plain text: an enum column's type would refuse the "" of a missing value.
    label = func.coalesce(type_coerce(key, String), "").label("key")
    counted = func.count()
    query = select(label, counted).select_from(Complaint)
    if joined is not None:
        query = query.outerjoin(joined, joined.c.complaint_id == Complaint.id)
    rows = session.execute(
        query.where(*where).group_by(label).order_by(counted.desc(), label)
    ).all()
    return [Count(str(k), int(n)) for k, n in rows]


def pareto(
    session: Session, period: Period, scope: list[ColumnElement[bool]]
) -> dict[str, list[Count]]:
    """Return the period's new complaints counted per key of each dimension."""
    where = [received_in(period.start, period.end), *scope]
    among = select(Complaint.id).where(*where)
    at_end, now = classification_at(period.end, among), classification_at(None, among)
    cause = latest_decision(StepKind.CAUSE_ANALYSIS, ("category",), before=period.end, among=among)
    keys: dict[str, tuple[SQLColumnExpression[Any], Subquery | None]] = {
        "category": (at_end.c.category, at_end),
        "category_now": (now.c.category, now),
        "product_family": (Complaint.product_family, None),
        "product": (Complaint.product, None),
        "cause_category": (cause.c.category, cause),
        "department": (Complaint.department, None),
        "channel": (Complaint.channel, None),
        "grade": (Complaint.grade, None),
    }
    return {
        name: _grouped(session, keys[name][0], where, keys[name][1]) for name in PARETO_DIMENSIONS
    }


def problems(
    session: Session, org: Organization, period: Period, scope: list[ColumnElement[bool]]
) -> Problems:
    """Return how many of the period's complaints were systemic, recurring or one-off.

    Systemic: the root cause's scope says the problem is shared. Recurring: at least
    ``recurrence_at_least`` complaints on one product family with one cause category
    within ``recurrence_window_days`` of each other (earlier ones, and later ones of
    the period, count).
    """
    window = timedelta(days=org.reviews.recurrence_window_days)
    nearby = [
        Complaint.received_at >= period.start - window,
        Complaint.received_at < period.end,
        *scope,
    ]
    cause = latest_decision(
        StepKind.CAUSE_ANALYSIS,
        ("category", "scope"),
        before=period.end,
        among=select(Complaint.id).where(*nearby),
    )
    rows = session.execute(
        select(Complaint.received_at, Complaint.product_family, cause.c.category, cause.c.scope)
        .outerjoin(cause, cause.c.complaint_id == Complaint.id)
        .where(*nearby)
    ).all()
    neighbours: dict[tuple[str, str], list[datetime]] = {}
    for received, family, category, _scope in rows:
        if family and category:
            neighbours.setdefault((family, category), []).append(received)
    for moments in neighbours.values():
        moments.sort()
    systemic = recurring = one_off = not_analysed = 0
    for received, family, category, shared in rows:
        if received < period.start:
            continue
        if not category:
            not_analysed += 1
        elif shared == ProblemScope.SYSTEMIC.value:
            systemic += 1
        elif family and _within(neighbours[(family, category)], received, window) >= (
            org.reviews.recurrence_at_least
        ):
            recurring += 1
        else:
            one_off += 1
    reopened = session.scalar(
        select(func.count(func.distinct(Event.complaint_id)))
        .join(Complaint, Complaint.id == Event.complaint_id)
        .where(
            Event.kind == EventKind.COMPLAINT_REOPENED.value,
            Event.at >= period.start,
            Event.at < period.end,
            *scope,
        )
    )
    return Problems(systemic, recurring, one_off, not_analysed, int(reopened or 0))


def _within(moments: list[datetime], moment: datetime, window: timedelta) -> int:
    """Count the (sorted) moments within ``window`` of ``moment``, itself included."""
    return bisect_right(moments, moment + window) - bisect_left(moments, moment - window)


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


def _open_at(end: datetime) -> ColumnElement[bool]:
    return and_(
        Step.opened_at < end,
        Step.status != StepStatus.CANCELLED,
        or_(Step.decided_at.is_(None), Step.decided_at >= end),
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
            .where(kind, _open_at(end), Step.due_at < end, *scope)
        )
        or 0
    )


def outcomes(session: Session, period: Period, scope: list[ColumnElement[bool]]) -> Outcomes:
    """Return how the complaints closed in the period ended, and the actions at its end."""
    start, end = period.start, period.end
    closed = [Complaint.closed_at >= start, Complaint.closed_at < end, *scope]
    first = latest_decision(
        StepKind.RESPONSE_DECISION,
        ("accepted",),
        before=end,
        first=True,
        boolean=True,
        among=select(Complaint.id).where(*closed),
    )
    answered, accepted = session.execute(
        select(func.count(), func.count().filter(first.c.accepted.is_(True)))
        .select_from(Complaint)
        .join(first, first.c.complaint_id == Complaint.id)
        .where(*closed)
    ).one()
    effective = Step.decision["effective"].as_boolean()
    checks = session.execute(
        select(effective, func.count())
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(
            Step.kind == StepKind.EFFECTIVENESS,
            Step.status == StepStatus.DECIDED,
            Step.decided_at >= start,
            Step.decided_at < end,
            *scope,
        )
        .group_by(effective)
    ).all()
    by_verdict = {bool(verdict): int(n) for verdict, n in checks}
    open_actions, late_actions = session.execute(
        select(func.count(), func.count().filter(Step.due_at < end))
        .select_from(Step)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(Step.kind == StepKind.ACTION, _open_at(end), *scope)
    ).one()
    return Outcomes(
        resolutions=_grouped(session, Complaint.resolution, closed),
        first_answer_accepted=int(accepted),
        answers_decided=int(answered),
        effective=by_verdict.get(True, 0),
        not_effective=by_verdict.get(False, 0),
        actions_open_at_end=int(open_actions),
        actions_late_at_end=int(late_actions),
    )


def satisfaction(
    session: Session, period: Period, scope: list[ColumnElement[bool]]
) -> Satisfaction:
    """Return the surveys asked and answered in the period, and their scores (8.3)."""
    start, end = period.start, period.end
    survey = [Step.kind == StepKind.SURVEY, *scope]
    asked = session.scalar(
        select(func.count())
        .select_from(Step)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(*survey, Step.opened_at >= start, Step.opened_at < end)
    )
    score = Step.decision["score"].as_integer()
    answered, mean, dissatisfied = session.execute(
        select(func.count(), func.avg(score), func.count().filter(score <= DISSATISFIED_AT_MOST))
        .select_from(Step)
        .join(Complaint, Complaint.id == Step.complaint_id)
        .where(
            *survey,
            Step.status == StepStatus.DECIDED,
            Step.decided_at >= start,
            Step.decided_at < end,
        )
    ).one()
    return Satisfaction(
        asked=int(asked or 0),
        answered=int(answered),
        mean_score=float(mean) if mean is not None else None,
        dissatisfied=int(dissatisfied),
    )
