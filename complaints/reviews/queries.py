"""The SQL behind a trend analysis: per-complaint facts (the latest decision of a kind,
the category at a moment) as ranked subqueries to join, and hours between two
timestamps on either database.

A ranked subquery reads the steps of one kind once, whatever the number of complaints,
where a correlated one would look them up again for every complaint.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    SQLColumnExpression,
    String,
    Subquery,
    and_,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from complaints.enums import StepKind, StepStatus
from complaints.models import Classification, Complaint, Step
from complaints.reviews.figures import Count, Filters


def in_scope(filters: Filters) -> list[ColumnElement[bool]]:
    """Return the conditions on complaints that the review's filters set."""
    conditions: list[ColumnElement[bool]] = []
    if filters.department:
        conditions.append(Complaint.department == filters.department)
    if filters.product_family:
        conditions.append(Complaint.product_family == filters.product_family)
    return conditions


def received_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Complaint.received_at >= start, Complaint.received_at < end)


def latest_decision(
    kind: StepKind,
    fields: tuple[str, ...],
    *,
    before: datetime,
    first: bool = False,
    boolean: bool = False,
    among: Select[tuple[Any]] | None = None,
) -> Subquery:
    """Return, per complaint (of ``among``, a query of complaint ids, or all), fields of
    its latest (``first``: earliest) step of a kind decided before a moment: columns
    ``complaint_id`` and one per field (text, or booleans)."""
    values = [
        (Step.decision[f].as_boolean() if boolean else Step.decision[f].as_string()).label(f)
        for f in fields
    ]
    order = Step.decided_at.asc() if first else Step.decided_at.desc()
    ranked = (
        select(
            Step.complaint_id,
            *values,
            func.row_number().over(partition_by=Step.complaint_id, order_by=order).label("rank"),
        )
        .where(Step.kind == kind, Step.status == StepStatus.DECIDED, Step.decided_at < before)
        .where(*([Step.complaint_id.in_(among)] if among is not None else []))
        .subquery()
    )
    return (
        select(ranked.c.complaint_id, *(ranked.c[f] for f in fields))
        .where(ranked.c.rank == 1)
        .subquery()
    )


def classification_at(moment: datetime | None, among: Select[tuple[Any]] | None = None) -> Subquery:
    """Return, per complaint (of ``among``, or all), its category at a moment (None:
    now): columns ``complaint_id`` and ``category``."""
    order = (Classification.at.desc(), Classification.id.desc())
    ranked = select(
        Classification.complaint_id,
        Classification.category,
        func.row_number()
        .over(partition_by=Classification.complaint_id, order_by=order)
        .label("rank"),
    )
    if moment is not None:
        ranked = ranked.where(Classification.at < moment)
    if among is not None:
        ranked = ranked.where(Classification.complaint_id.in_(among))
    chosen = ranked.subquery()
    return select(chosen.c.complaint_id, chosen.c.category).where(chosen.c.rank == 1).subquery()


def complaint_facts(end: datetime, where: list[ColumnElement[bool]]) -> Subquery:
    """Return the complaints ``where`` selects with what reviews count them by, as at
    ``end``: their own columns, ``category`` (at ``end``), ``category_now``, and the root
    cause's ``cause_category`` and ``cause_scope`` (decided before ``end``)."""
    among = select(Complaint.id).where(*where)
    at_end, now = classification_at(end, among), classification_at(None, among)
    cause = latest_decision(StepKind.CAUSE_ANALYSIS, ("category", "scope"), before=end, among=among)
    return (
        select(
            Complaint.id,
            Complaint.reference,
            Complaint.received_at,
            Complaint.closed_at,
            Complaint.department,
            Complaint.product_family,
            Complaint.product,
            Complaint.channel,
            Complaint.grade,
            Complaint.resolution,
            Complaint.stage,
            at_end.c.category.label("category"),
            now.c.category.label("category_now"),
            cause.c.category.label("cause_category"),
            cause.c.scope.label("cause_scope"),
        )
        .outerjoin(at_end, at_end.c.complaint_id == Complaint.id)
        .outerjoin(now, now.c.complaint_id == Complaint.id)
        .outerjoin(cause, cause.c.complaint_id == Complaint.id)
        .where(*where)
        .subquery()
    )


def grouped_counts(
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


def open_at(end: datetime) -> ColumnElement[bool]:
    """Whether a step was open at ``end`` (opened before, not decided by then)."""
    return and_(
        Step.opened_at < end,
        Step.status != StepStatus.CANCELLED,
        or_(Step.decided_at.is_(None), Step.decided_at >= end),
    )


def hours_between(
    session: Session, later: SQLColumnExpression[Any], earlier: SQLColumnExpression[Any]
) -> ColumnElement[Any]:
    """Return ``later - earlier`` in hours, as SQL of the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier) / 3600.0
    return cast((func.julianday(later) - func.julianday(earlier)) * 24.0, Float)


def quantile(values: list[float], fraction: float) -> float | None:
    """Return a quantile by linear interpolation between closest ranks (None if empty)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
