"""The SQL behind a trend analysis: per-complaint facts as correlated subqueries, and
hours between two timestamps on either database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Select, SQLColumnExpression, and_, cast, func, select
from sqlalchemy.orm import Session

from complaints.enums import StepKind, StepStatus
from complaints.models import Complaint, Step
from complaints.reviews.figures import Filters


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


def decided_value(
    kind: StepKind,
    field: str,
    *,
    before: datetime | None,
    latest: bool = True,
    boolean: bool = False,
) -> ColumnElement[Any]:
    """Return one field of the complaint's latest (or first) decided step of a kind, as
    text (or as a boolean), as a correlated scalar subquery of a query over complaints."""
    value = Step.decision[field].as_boolean() if boolean else Step.decision[field].as_string()
    query: Select[tuple[Any]] = select(value).where(
        Step.complaint_id == Complaint.id,
        Step.kind == kind,
        Step.status == StepStatus.DECIDED,
    )
    if before is not None:
        query = query.where(Step.decided_at < before)
    order = Step.decided_at.desc() if latest else Step.decided_at.asc()
    return query.order_by(order).limit(1).correlate(Complaint).scalar_subquery()


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
