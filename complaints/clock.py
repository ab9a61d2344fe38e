"""Due times on a calendar clock or on a business-hours clock.

A business-hours clock counts only the working time of a ``WorkingCalendar`` in the
organization's time zone. The counting is done on the local wall clock and only the
result is converted back, so a working day stays 09:00-18:00 on both sides of a DST
change (a working "hour" is an hour of the wall clock, not of elapsed time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Index = ``date.weekday()``.
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _monday_to_friday() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class WorkingCalendar(BaseModel):
    """The working days and hours a business-hours clock counts (local wall-clock time)."""

    # A misspelt key would otherwise silently fall back to a default.
    model_config = ConfigDict(extra="forbid")

    days: list[Weekday] = Field(default_factory=_monday_to_friday, min_length=1)
    start: time = time(9, 0)
    end: time = time(18, 0)
    holidays: list[date] = Field(default_factory=list)

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        # The hours are read in the organization's zone; an offset here would contradict it.
        if value.tzinfo is not None:
            raise ValueError("working hours are local times, without an offset")
        return value

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> WorkingCalendar:
        if self.start >= self.end:
            raise ValueError(f"working start {self.start} is not before end {self.end}")
        return self

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working weekday and not a holiday."""
        return WEEKDAYS[day.weekday()] in self.days and day not in self.holidays

    def is_working_time(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Return whether an aware moment falls in working time (the day's end excluded)."""
        local = moment.astimezone(zone)
        return self.is_working_day(local.date()) and self.start <= local.time() < self.end


def add_hours(
    start: datetime, hours: float, *, business: bool, calendar: WorkingCalendar, zone: ZoneInfo
) -> datetime:
    """Return the moment ``hours`` after ``start``, in UTC.

    On the calendar clock every hour counts. On the business clock only working time in
    ``zone`` counts: a start outside it begins at the next working moment, and a result
    that lands exactly on a day's end stays there (not the next morning).
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    if hours < 0:
        raise ValueError(f"hours must not be negative, got {hours}")
    if not business:
        # In UTC, so that the hours are elapsed hours even across a DST change.
        return start.astimezone(UTC) + timedelta(hours=hours)
    local = _add_working_time(
        start.astimezone(zone).replace(tzinfo=None), timedelta(hours=hours), calendar
    )
    return local.replace(tzinfo=zone).astimezone(UTC)


def _add_working_time(
    cursor: datetime, remaining: timedelta, calendar: WorkingCalendar
) -> datetime:
    """Add working time to a naive local wall-clock moment, one day at a time."""
    if not calendar.days:
        raise ValueError("the working calendar has no working days")
    # Every run of days off is shorter than a week plus all the holidays; beyond that the
    # calendar cannot have working time (a guard, validation already refuses it).
    days_off_limit = 7 + len(calendar.holidays)
    days_off = 0
    while True:
        day = cursor.date()
        if calendar.is_working_day(day):
            days_off = 0
            opens = datetime.combine(day, calendar.start)
            closes = datetime.combine(day, calendar.end)
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        else:
            days_off += 1
            if days_off > days_off_limit:
                raise ValueError("the working calendar has no working time")
        cursor = datetime.combine(day + timedelta(days=1), time(0))
