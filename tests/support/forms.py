"""What people type into step forms."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from complaints.models import utcnow

# The sample organization's zone, where its people without their own zone read pages.
ORG_ZONE = ZoneInfo("Asia/Shanghai")


def local_input(moment: datetime, zone: ZoneInfo = ORG_ZONE) -> str:
    """Return what a ``datetime-local`` input posts for a moment, in the reader's zone."""
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def ours(
    guard: str | None = None,
    *,
    grade: str = "complaint",
    category: str = "product-defect",
    meeting_in: timedelta = timedelta(hours=2),
    attendees: tuple[str, ...] = (),
    **extra: str,
) -> dict[str, str | list[str]]:
    """Return an assessment form saying "ours", convening the meeting ``meeting_in`` from now."""
    form: dict[str, str | list[str]] = {
        "ours": "yes",
        "valid": "yes",
        "grade": grade,
        "category": category,
        "meeting_at": local_input(utcnow() + meeting_in),
        "meeting_minutes": "45",
        "meeting_location": "Room 301 会议室",
        "attendees": list(attendees),
        **extra,
    }
    if guard is not None:
        form["guard"] = guard
    return form
