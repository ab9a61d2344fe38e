"""The rows behind a trend analysis, as CSV and XLSX: one per complaint the period counts.

A complaint counts when it was received or closed in the period, or was open at its
end. Each row carries the keys the figures are counted by, so every figure can be
checked against the rows. References, keys and dates only: no complainant's data.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.orm import Session

from complaints.models import Complaint
from complaints.reviews.figures import Filters, Period
from complaints.reviews.queries import complaint_facts, in_scope, received_in

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Columns a spreadsheet sums: 0/1 flags, written as numbers.
FLAG_COLUMNS = frozenset({"new_in_period", "closed_in_period", "open_at_end"})

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
    facts = complaint_facts(
        end, [or_(received_in(start, end), closed_in, open_at_end), *in_scope(filters)]
    )
    query = select(
        facts.c.reference,
        facts.c.received_at,
        facts.c.closed_at,
        _flag(and_(facts.c.received_at >= start, facts.c.received_at < end)),
        _flag(and_(facts.c.closed_at >= start, facts.c.closed_at < end)),
        _flag(or_(facts.c.closed_at.is_(None), facts.c.closed_at >= end)),
        facts.c.department,
        facts.c.product_family,
        facts.c.product,
        facts.c.channel,
        facts.c.grade,
        facts.c.category,
        facts.c.category_now,
        facts.c.cause_category,
        facts.c.cause_scope,
        facts.c.resolution,
        facts.c.stage,
    ).order_by(facts.c.received_at, facts.c.reference)
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


def review_xlsx(rows: list[tuple[str, ...]], *, title: str) -> bytes:
    """Return the rows as an XLSX workbook: one sheet, the header frozen and filtered,
    the 0/1 flags as numbers so a spreadsheet sums them into the figures."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = title[:31]  # the longest sheet name a spreadsheet takes
    sheet.append(COLUMNS)
    flags = [i for i, name in enumerate(COLUMNS) if name in FLAG_COLUMNS]
    for row in rows:
        values: list[str | int] = list(row)
        for i in flags:
            values[i] = int(row[i] or 0)
        sheet.append(values)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
