"""Units shipped per product family and month, and the rates per unit they give.

A count of complaints says little without the volume behind it: ten complaints on a
product sold by the million are not ten on one sold by the hundred (ISO 10002 8.2,
trends). A quality lead supplies the units shipped per product family and month as a
CSV (`product_family,month,units`); a review divides each family's complaints received
in the period by the units shipped in it, as complaints per million units. A period
that covers part of a month takes that share of the month's units (by days).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaints.models import ShippedVolume
from complaints.organization import Organization
from complaints.reviews.figures import Count, Period, Rate

HEADER = ("product_family", "month", "units")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# A volumes file is small: a family per line and month. This many lines is years of it.
MAX_LINES = 10_000


@dataclass(frozen=True)
class Volume:
    product_family: str
    month: str
    units: int


class VolumesRefused(ValueError):
    """A volumes file with problems: each is a line number and a message id."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {message}" for line, message in problems))
        self.problems = problems


def parse_volumes(data: bytes, org: Organization) -> list[Volume]:
    """Read a volumes CSV (UTF-8, a byte-order mark allowed); refuse it whole with
    every problem named by its line, or return its volumes."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise VolumesRefused([(1, "review.volumes.error.encoding")]) from None
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or tuple(cell.strip() for cell in lines[0]) != HEADER:
        raise VolumesRefused([(1, "review.volumes.error.header")])
    if len(lines) > MAX_LINES:
        raise VolumesRefused([(MAX_LINES + 1, "review.volumes.error.too_long")])
    volumes: dict[tuple[str, str], Volume] = {}
    problems: list[tuple[int, str]] = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        problem, volume = _line(cells, org)
        if problem:
            problems.append((number, problem))
        elif volume is not None:
            volumes[(volume.product_family, volume.month)] = volume  # the last line wins
    if problems:
        raise VolumesRefused(problems)
    if not volumes:
        raise VolumesRefused([(2, "review.volumes.error.empty")])
    return list(volumes.values())


def _line(cells: list[str], org: Organization) -> tuple[str, Volume | None]:
    if len(cells) != len(HEADER):
        return "review.volumes.error.columns", None
    family, month, units = (cell.strip() for cell in cells)
    if family not in org.classification.product_families:
        return "review.volumes.error.family", None
    if not _MONTH.match(month):
        return "review.volumes.error.month", None
    if not units.isdigit() or len(units) > 12:
        return "review.volumes.error.units", None
    return "", Volume(family, month, int(units))


def record_volumes(session: Session, volumes: list[Volume], *, by: str, at: datetime) -> int:
    """Keep the volumes, each replacing what was kept for its family and month."""
    for volume in volumes:
        session.merge(
            ShippedVolume(
                product_family=volume.product_family,
                month=volume.month,
                units=volume.units,
                recorded_by=by,
                recorded_at=at,
            )
        )
    session.flush()
    return len(volumes)


def month_shares(period: Period, zone: ZoneInfo) -> dict[str, float]:
    """Return each local month the period touches, with the share of its days it covers."""
    first = period.start.astimezone(zone).date()
    last = (period.end.astimezone(zone) - timedelta(microseconds=1)).date()
    shares: dict[str, float] = {}
    day = first
    while day <= last:
        start_of_next = _next_month(day)
        in_month = (min(last, start_of_next - timedelta(days=1)) - day).days + 1
        shares[f"{day:%Y-%m}"] = in_month / (start_of_next - day.replace(day=1)).days
        day = start_of_next
    return shares


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def rates(session: Session, period: Period, zone: ZoneInfo, by_family: list[Count]) -> list[Rate]:
    """Return complaints per million units for each family with units in the period."""
    shares = month_shares(period, zone)
    units: dict[str, float] = {}
    rows = session.execute(
        select(ShippedVolume.product_family, ShippedVolume.month, ShippedVolume.units).where(
            ShippedVolume.month.in_(list(shares))
        )
    )
    for family, month, shipped in rows:
        units[family] = units.get(family, 0.0) + shipped * shares[month]
    complaints = {c.key: c.count for c in by_family}
    return [
        Rate(
            product_family=family,
            complaints=complaints.get(family, 0),
            units=round(shipped),
            per_million=complaints.get(family, 0) / shipped * 1_000_000,
        )
        for family, shipped in sorted(units.items())
        if shipped > 0
    ]
