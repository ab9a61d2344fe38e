"""The trend analysis (ISO 10002 8.2-8.4), computed in SQL from our own records.

Prefect keeps events for days only; our database holds every complaint, step, email
and notice, so it is the source. Counts and groupings run in the database; only the
hours of one period's complaints come back, for their median and 90th percentile.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    SQLColumnExpression,
    Subquery,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from complaints.enums import EventKind, ProblemScope, StepKind
from complaints.models import Complaint, Event
from complaints.organization import Organization
from complaints.reviews.figures import (
    PARETO_DIMENSIONS,
    Count,
    Filters,
    Period,
    PeriodCounts,
    Problems,
    TrendFigures,
)
from complaints.reviews.outcomes import outcomes, satisfaction
from complaints.reviews.periods import previous_periods
from complaints.reviews.queries import (
    classification_at,
    grouped_counts,
    in_scope,
    latest_decision,
    received_in,
)
from complaints.reviews.timeliness import timeliness
from complaints.reviews.volumes import rates
from complaints.taxonomy import SUBCATEGORY_SEPARATOR


def analyse(
    session: Session, org: Organization, period: Period, filters: Filters | None = None
) -> TrendFigures:
    """Return the figures of one period for the complaints the filters select."""
    filters = filters or Filters()
    scope = in_scope(filters)
    earlier = previous_periods(period, org.reviews.previous_periods, org.zone_of())
    series = [period_counts(session, p, scope) for p in [*earlier, period]]
    counted = pareto(session, period, scope)
    # Units are shipped per family, not per department: no rate for a department's share.
    per_unit = [
        rate
        for rate in rates(session, period, org.zone_of(), counted["product_family"])
        if not filters.department and filters.product_family in (None, rate.product_family)
    ]
    return TrendFigures(
        period=period,
        filters=filters,
        counts=series[-1],
        series=series,
        pareto=counted,
        problems=problems(session, org, period, scope),
        timeliness=timeliness(session, org, period, scope),
        outcomes=outcomes(session, period, scope),
        satisfaction=satisfaction(session, period, scope),
        rates=per_unit,
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


def pareto(
    session: Session, period: Period, scope: list[ColumnElement[bool]]
) -> dict[str, list[Count]]:
    """Return the period's new complaints counted per key of each dimension."""
    where = [received_in(period.start, period.end), *scope]
    among = select(Complaint.id).where(*where)
    at_end, now = classification_at(period.end, among), classification_at(None, among)
    cause = latest_decision(StepKind.CAUSE_ANALYSIS, ("category",), before=period.end, among=among)
    keys: dict[str, tuple[SQLColumnExpression[Any], Subquery | None]] = {
        "subcategory": (at_end.c.category, at_end),
        "category_now": (now.c.category, now),
        "product_family": (Complaint.product_family, None),
        "product": (Complaint.product, None),
        "cause_category": (cause.c.category, cause),
        "department": (Complaint.department, None),
        "channel": (Complaint.channel, None),
        "grade": (Complaint.grade, None),
    }
    counted = {
        name: grouped_counts(session, column, where, joined)
        for name, (column, joined) in keys.items()
    }
    # A sub-category counts for its category: the few keys are rolled up, not the rows.
    counted["category"] = rolled_up(counted["subcategory"])
    counted["category_now"] = rolled_up(counted["category_now"])
    return {name: counted[name] for name in PARETO_DIMENSIONS}


def rolled_up(counts: list[Count]) -> list[Count]:
    """Return counts per ``<category>/<sub-category>`` key as counts per category, most
    first (then by key, as the database orders them)."""
    totals: dict[str, int] = {}
    for item in counts:
        head = item.key.partition(SUBCATEGORY_SEPARATOR)[0]
        totals[head] = totals.get(head, 0) + item.count
    return [Count(k, n) for k, n in sorted(totals.items(), key=lambda kn: (-kn[1], kn[0]))]


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
    neighbours, at_least = _neighbours(rows), org.reviews.recurrence_at_least
    kinds = Counter(
        _kind_of_problem(row, neighbours, window, at_least)
        for row in rows
        if row[0] >= period.start
    )
    reopened = _reopened(session, period, scope)
    return Problems(
        kinds["systemic"],
        kinds["recurring"],
        kinds["one_off"],
        kinds["not_analysed"],
        reopened,
    )


def _reopened(session: Session, period: Period, scope: list[ColumnElement[bool]]) -> int:
    """Return how many complaints in scope were reopened within the period."""
    count = session.scalar(
        select(func.count(func.distinct(Event.complaint_id)))
        .join(Complaint, Complaint.id == Event.complaint_id)
        .where(
            Event.kind == EventKind.COMPLAINT_REOPENED.value,
            Event.at >= period.start,
            Event.at < period.end,
            *scope,
        )
    )
    return int(count or 0)


def _neighbours(rows: Sequence[Any]) -> dict[tuple[str, str], list[datetime]]:
    """Return when complaints were received, per product family and cause category, sorted."""
    found: dict[tuple[str, str], list[datetime]] = {}
    for received, family, category, _scope in rows:
        if family and category:
            found.setdefault((family, category), []).append(received)
    return {key: sorted(moments) for key, moments in found.items()}


def _kind_of_problem(
    row: Any,
    neighbours: dict[tuple[str, str], list[datetime]],
    window: timedelta,
    at_least: int,
) -> str:
    """Return what kind of problem a complaint is (a row: its receipt, product family,
    cause category and the cause's scope)."""
    received, family, category, shared = row
    if not category:
        return "not_analysed"
    if shared == ProblemScope.SYSTEMIC.value:
        return "systemic"
    if family and _within(neighbours[(family, category)], received, window) >= at_least:
        return "recurring"
    return "one_off"


def _within(moments: list[datetime], moment: datetime, window: timedelta) -> int:
    """Count the (sorted) moments within ``window`` of ``moment``, itself included."""
    return bisect_right(moments, moment + window) - bisect_left(moments, moment - window)
