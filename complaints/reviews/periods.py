"""Review periods: calendar months, quarters and years, or any dates, in the
organization's time zone.

A period starts and ends at local midnight, turned into UTC through the zone's own
rules, so a month that crosses a daylight-saving change is still exactly that month.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from complaints.reviews.figures import Period


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    # In UTC: arithmetic between two times of one zone ignores its clock changes.
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _first_day(kind: PeriodKind, day: date) -> date:
    if kind is PeriodKind.MONTH:
        return day.replace(day=1)
    if kind is PeriodKind.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _months(kind: PeriodKind) -> int:
    return {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _label(kind: PeriodKind, first: date) -> str:
    if kind is PeriodKind.MONTH:
        return f"{first:%Y-%m}"
    if kind is PeriodKind.QUARTER:
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return str(first.year)


def calendar_period(kind: PeriodKind, first: date, zone: ZoneInfo) -> Period:
    """Return the calendar month, quarter or year that starts on ``first``."""
    first = _first_day(kind, first)
    after = _add_months(first, _months(kind))
    return Period(_label(kind, first), _midnight(first, zone), _midnight(after, zone), kind.value)


def last_complete(kind: PeriodKind, as_of: datetime, zone: ZoneInfo) -> Period:
    """Return the last calendar period that ended by ``as_of`` (local time)."""
    current = _first_day(kind, as_of.astimezone(zone).date())
    return calendar_period(kind, _add_months(current, -_months(kind)), zone)


def between(first: date, last: date, zone: ZoneInfo) -> Period:
    """Return the days ``first`` to ``last``, both included."""
    if last < first:
        raise ValueError("the period ends before it starts")
    return Period(
        f"{first:%Y-%m-%d} – {last:%Y-%m-%d}",
        _midnight(first, zone),
        _midnight(last + timedelta(days=1), zone),
    )


def previous_periods(period: Period, count: int, zone: ZoneInfo) -> list[Period]:
    """Return ``count`` periods of the same kind before ``period``, oldest first.

    A calendar period is followed back by calendar periods; any other by spans of the
    same number of days.
    """
    kind = PeriodKind(period.kind) if period.kind in set(PeriodKind) else None
    local_start = period.start.astimezone(zone).date()
    periods: list[Period] = []
    if kind is not None:
        for back in range(count, 0, -1):
            periods.append(
                calendar_period(kind, _add_months(local_start, -back * _months(kind)), zone)
            )
        return periods
    days = (period.end.astimezone(zone).date() - local_start).days
    for back in range(count, 0, -1):
        first = local_start - timedelta(days=back * days)
        periods.append(between(first, first + timedelta(days=days - 1), zone))
    return periods


def requested_period(
    kind: str,
    *,
    first_day: date | None,
    last_day: date | None,
    as_of: datetime,
    zone: ZoneInfo,
) -> Period:
    """Return the period a review asks for: the last complete month, quarter or year
    before ``as_of``, or the days ``first_day`` to ``last_day`` ("days")."""
    if kind == "days":
        if first_day is None or last_day is None:
            raise ValueError("a review of days needs its first and last day")
        return between(first_day, last_day, zone)
    if kind not in set(PeriodKind):
        raise ValueError(f"unknown period {kind!r}: month, quarter, year or days")
    if first_day is not None:
        return calendar_period(PeriodKind(kind), first_day, zone)
    return last_complete(PeriodKind(kind), as_of, zone)
