"""Calendar invitations (iCalendar, RFC 5545) that Outlook, Thunderbird and Gmail accept.

An invitation keeps one UID for the life of a meeting; every change sends it again with
a higher SEQUENCE, so calendars update the event instead of adding a second one.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Complaints desk//Complaint handling//EN"
METHODS = ("REQUEST", "CANCEL")
_MARGIN = timedelta(days=366)

# Control characters are not allowed in TEXT values nor in parameter values.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Invitee:
    name: str
    email: str


# Every attendee is a person whose answer is asked for.
ATTENDEE = {
    "CUTYPE": "INDIVIDUAL",
    "ROLE": "REQ-PARTICIPANT",
    "PARTSTAT": "NEEDS-ACTION",
    "RSVP": "TRUE",
}


def meeting_uid(meeting_id: uuid.UUID, domain: str) -> str:
    """Return the UID of a meeting: stable for its whole life, unique across domains."""
    return f"{meeting_id}@{domain}"


def invitation(
    *,
    uid: str,
    sequence: int,
    summary: str,
    description: str,
    location: str,
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
    organizer: Invitee,
    attendees: list[Invitee],
    stamp: datetime,
    method: str = "REQUEST",
) -> str:
    """Return the iCalendar text (CRLF lines) of a meeting request or cancellation.

    Naive datetimes are taken as wall-clock times in ``zone``; aware ones are converted.
    """
    method = method.upper()
    if method not in METHODS:
        raise ValueError(f"unsupported iTIP method {method!r}")
    if sequence < 0:
        raise ValueError("the sequence cannot be negative")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    start, end = _in_zone(starts_at, zone), _in_zone(ends_at, zone)
    if end <= start:
        raise ValueError("a meeting must end after it starts")
    event = _event(uid, sequence, stamp, start, end, method=method)
    event.add("summary", _text(_one_line(summary)))
    event.add("description", _text(description))
    event.add("location", _text(_one_line(location)))
    event.add("organizer", _address(organizer))
    for attendee in attendees:
        event.add("attendee", _address(attendee, **ATTENDEE))
    calendar.add_component(event)
    # The VTIMEZONE the TZID parameters name (clients without a tz database need it),
    # with the transitions of a year either side of the meeting rather than of decades.
    calendar.add_missing_timezones(
        first_date=start.date() - _MARGIN, last_date=end.date() + _MARGIN
    )
    text: bytes = calendar.to_ical()
    return text.decode("utf-8")


def _event(
    uid: str, sequence: int, stamp: datetime, start: datetime, end: datetime, *, method: str
) -> Event:
    """Return the event's identity (UID and sequence: moving a meeting updates the same
    event), its time and its status."""
    event = Event()
    event.add("uid", _one_line(uid))
    event.add("sequence", sequence)
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _address(person: Invitee, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{_bare_email(person.email)}")
    name = _one_line(person.name)
    if name:
        # Quotes are RFC 6868-escaped by icalendar; line breaks may never reach a parameter.
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key] = value
    return address


def _bare_email(value: str) -> str:
    email = "".join(_CONTROL.sub("", value).split())
    if not email or "@" not in email:
        raise ValueError(f"not an email address: {value!r}")
    return email


def _one_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def _text(value: str) -> vText:
    return vText(_CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the DTSTAMP must be an aware datetime")
    return moment.astimezone(UTC)


def _in_zone(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)
