"""Reading calendar invitations out of emails, as a calendar program would."""

from __future__ import annotations

from typing import Any

import icalendar

from devtools.mailbox import StoredMessage


def invitation_of(message: StoredMessage) -> tuple[str, Any]:
    """Return the raw ``invite.ics`` attached to an email and its parsed VEVENT."""
    attached = [
        part
        for part in message.message.walk()
        if part.get_filename() == "invite.ics" and not part.is_multipart()
    ]
    assert len(attached) == 1, [p.get_content_type() for p in message.message.walk()]
    payload = attached[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    raw = payload.decode("utf-8")
    calendar = icalendar.Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    return raw, events[0]


def calendar_part(message: StoredMessage) -> Any:
    """Return the inline ``text/calendar`` alternative (what Outlook shows as a meeting)."""
    parts = [p for p in message.message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def mailto(address: Any) -> str:
    """Return the address of an ORGANIZER or ATTENDEE value, without ``mailto:``."""
    return str(address).removeprefix("mailto:").removeprefix("MAILTO:")
