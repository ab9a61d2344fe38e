"""The rows behind a trend analysis, as CSV: one per complaint the period counts.

A complaint counts when it was received or closed in the period, or was open at its
end. Each row carries the keys the figures are counted by, so every figure can be
checked against the rows. References, keys and dates only: no complainant's data.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.orm import Session

from complaints.classification import category_as_at
from complaints.enums import StepKind
from complaints.models import Complaint
from complaints.reviews.figures import Filters, Period
from complaints.reviews.queries import decided_value, in_scope, received_in

COLUMNS = (
    "reference",
    "received_at",
    "closed_at",
    "new_in_period",
    "closed_in_period",
    "open_at_end",
    "department",
    "product_family",
    "product",
    "channel",
    "grade",
    "category_at_end",
    "category_now",
    "cause_category",
    "scope",
    "resolution",
    "stage",
)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def review_rows(
    session: Session, period: Period, filters: Filters, zone: ZoneInfo
) -> list[tuple[str, ...]]:
    """Return the rows (as text, times in the organization's zone), oldest first."""
    start, end = period.start, period.end
    closed_in = and_(Complaint.closed_at >= start, Complaint.closed_at < end)
    open_at_end = and_(
        Complaint.received_at < end,
        or_(Complaint.closed_at.is_(None), Complaint.closed_at >= end),
    )
    query = (
        select(
            Complaint.reference,
            Complaint.received_at,
            Complaint.closed_at,
            _flag(received_in(start, end)),
            _flag(closed_in),
            _flag(open_at_end),
            Complaint.department,
            Complaint.product_family,
            Complaint.product,
            Complaint.channel,
            Complaint.grade,
            category_as_at(end),
            category_as_at(None),
            decided_value(StepKind.CAUSE_ANALYSIS, "category", before=end),
            decided_value(StepKind.CAUSE_ANALYSIS, "scope", before=end),
            Complaint.resolution,
            Complaint.stage,
        )
        .where(or_(received_in(start, end), closed_in, open_at_end), *in_scope(filters))
        .order_by(Complaint.received_at, Complaint.reference)
    )
    return [tuple(_text(value, zone) for value in row) for row in session.execute(query)]


def _text(value: object, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat(timespec="minutes")
    return str(getattr(value, "value", value))


def review_csv(rows: list[tuple[str, ...]]) -> bytes:
    """Return the rows as CSV, UTF-8 with a byte-order mark (spreadsheets then read the
    Chinese product names right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
