"""Calendar invitations: valid RFC 5545 whatever the names hold, sent as Outlook expects."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, MIMEPart
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.orm import Session, sessionmaker

from complaints.mail import outbox
from complaints.mail.emails import RenderedEmail
from complaints.meetings.ics import Invitee, invitation, meeting_uid
from complaints.models import OutboxMessage
from complaints.settings import Settings
from devtools.mailbox import DevMailbox
from tests.support.processes import free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
MEETING_ID = uuid.UUID("6f1c2a4e-0b7d-4c39-9a55-3e2f8d1b7c10")
UID = meeting_uid(MEETING_ID, "complaints.example.com")
ORGANIZER = Invitee(name="王芳", email="wang.fang@example.com")
HOSTILE = Invitee(name='Smith, John; "JJ"\nBEGIN:VEVENT', email="john.smith@example.com")
ATTENDEES = [HOSTILE, Invitee(name="李" * 40, email="li.lei@example.com")]
STAMP = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
STARTS = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai


def _invite(*, sequence: int = 0, starts_at: datetime = STARTS, method: str = "REQUEST") -> str:
    return invitation(
        uid=UID,
        sequence=sequence,
        summary="Containment meeting: complaint C-2026-000042",
        description="Agenda:\n1. Contain, quarantine; inform\n2. Owner: 王芳 \\ QA",
        location='Room 3, Building "B"; Shanghai',
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        zone=SHANGHAI,
        organizer=ORGANIZER,
        attendees=ATTENDEES,
        stamp=STAMP,
        method=method,
    )


def _event(text: str) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(text)
    events = calendar.events
    assert len(events) == 1
    return calendar, events[0]


def test_meeting_uid_is_stable() -> None:
    assert f"{MEETING_ID}@complaints.example.com" == UID
    assert meeting_uid(MEETING_ID, "complaints.example.com") == UID


def test_invitation_parses_back_with_every_field() -> None:
    text = _invite()
    calendar, event = _event(text)

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == "-//Complaints desk//Complaint handling//EN"
    assert event["UID"] == UID
    assert event.decoded("SEQUENCE") == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event.decoded("DTSTAMP") == STAMP
    assert event["SUMMARY"] == "Containment meeting: complaint C-2026-000042"
    assert event["DESCRIPTION"] == "Agenda:\n1. Contain, quarantine; inform\n2. Owner: 王芳 \\ QA"
    assert event["LOCATION"] == 'Room 3, Building "B"; Shanghai'

    start, end = event.start, event.end
    assert isinstance(start, datetime) and isinstance(end, datetime)
    assert isinstance(start.tzinfo, ZoneInfo) and start.tzinfo.key == "Asia/Shanghai"
    assert isinstance(end.tzinfo, ZoneInfo) and end.tzinfo.key == "Asia/Shanghai"
    assert (start.hour, start.minute) == (9, 30) and (end.hour, end.minute) == (10, 30)
    assert start == STARTS and end == STARTS + timedelta(hours=1)
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"

    organizer = event.organizer
    assert organizer is not None and str(organizer) == "mailto:wang.fang@example.com"
    assert organizer.params["CN"] == "王芳"

    attendees = event.attendees
    assert [str(a) for a in attendees] == [f"mailto:{a.email}" for a in ATTENDEES]
    # Line breaks never reach a parameter; commas, semicolons and quotes survive escaped.
    assert attendees[0].params["CN"] == 'Smith, John; "JJ" BEGIN:VEVENT'
    assert attendees[1].params["CN"] == "李" * 40
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "TRUE"

    assert [tz["TZID"] for tz in calendar.timezones] == ["Asia/Shanghai"]
    assert not calendar.get_missing_tzids()
    # Clients that read in one pass need the VTIMEZONE before the VEVENT using it.
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")


def test_hostile_names_never_break_the_structure() -> None:
    text = _invite()
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    # Folding keeps every line within 75 octets, even through multi-byte characters.
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    text.encode("utf-8")  # folding never splits a character in two


def test_rescheduled_invitation_keeps_the_uid_and_raises_the_sequence() -> None:
    later = STARTS + timedelta(days=1, hours=5)
    first, moved = _event(_invite())[1], _event(_invite(sequence=1, starts_at=later))[1]
    assert moved["UID"] == first["UID"] == UID
    assert moved.decoded("SEQUENCE") == 1 > first.decoded("SEQUENCE")
    assert moved.decoded("DTSTART") == later
    assert moved.decoded("DTSTART").astimezone(SHANGHAI).hour == 14
    assert moved.decoded("DTEND") == later + timedelta(hours=1)


def test_cancellation_says_so() -> None:
    calendar, event = _event(_invite(sequence=2, method="CANCEL"))
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["UID"] == UID and event.decoded("SEQUENCE") == 2


# The outbox


def _queue(
    sessions: sessionmaker[Session], attachments: list[outbox.EmailAttachment] | None
) -> uuid.UUID:
    with sessions.begin() as session:
        message, new = outbox.enqueue(
            session,
            dedup_key=f"test:{uuid.uuid4()}",
            complaint_id=None,
            kind="containment_request",
            recipient="john.smith@example.com",
            recipient_name="John Smith",
            email=RenderedEmail(subject="Containment meeting", text="plain 文本", html="<p>h</p>"),
            attachments=attachments,
        )
        assert new
        return message.id


def _invite_attachment(method: str = "REQUEST") -> outbox.EmailAttachment:
    return outbox.EmailAttachment(
        filename="invite.ics", content_type="text/calendar", text=_invite(method=method)
    )


def _built(sessions: sessionmaker[Session], message_id: uuid.UUID) -> EmailMessage:
    with sessions() as session:
        row = session.get_one(OutboxMessage, message_id)
        mime = outbox.build_message(row, "desk@example.com")
    # What a receiver sees: the message as sent, parsed again.
    return email.message_from_bytes(mime.as_bytes(), policy=email.policy.default)


def _check_invitation(message: EmailMessage, method: str = "REQUEST") -> None:
    assert message.get_content_type() == "multipart/mixed"
    parts = list(message.iter_parts())
    alternative = parts[0]
    assert alternative.get_content_type() == "multipart/alternative"
    inner: list[MIMEPart] = list(alternative.iter_parts())
    kinds = [part.get_content_type() for part in inner]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    plain, html, calendar = inner
    assert plain.get_content().strip() == "plain 文本"
    assert html.get_content().strip() == "<p>h</p>"
    assert calendar.get_param("method") == method
    assert calendar.get_content_charset() == "utf-8"
    assert calendar.get_content_disposition() is None  # inline: the invitation itself

    attachments = [part for part in parts[1:] if part.get_content_disposition() == "attachment"]
    assert [a.get_filename() for a in attachments] == ["invite.ics"]
    assert attachments[0].get_content_type() in {"application/ics", "text/calendar"}
    for part in (calendar, attachments[0]):
        raw = part.get_payload(decode=True)
        assert isinstance(raw, bytes) and b"\r\nEND:VCALENDAR\r\n" in raw
        parsed, event = _event(raw.decode("utf-8"))
        assert parsed["METHOD"] == method and event["UID"] == UID


def test_invitation_is_queued_and_built_as_outlook_expects(
    sessions: sessionmaker[Session],
) -> None:
    message_id = _queue(sessions, [_invite_attachment()])
    with sessions() as session:
        stored = session.get_one(OutboxMessage, message_id).attachments
    assert stored == [
        {"filename": "invite.ics", "content_type": "text/calendar", "text": _invite()}
    ]
    _check_invitation(_built(sessions, message_id))


def test_cancellation_carries_its_method_in_the_mime_type(
    sessions: sessionmaker[Session],
) -> None:
    message = _built(sessions, _queue(sessions, [_invite_attachment("CANCEL")]))
    _check_invitation(message, method="CANCEL")


def test_other_text_attachments_are_plain_attachments(sessions: sessionmaker[Session]) -> None:
    notes = outbox.EmailAttachment(filename="notes.csv", content_type="text/csv", text="a,b\n1,2\n")
    message = _built(sessions, _queue(sessions, [notes]))
    assert message.get_content_type() == "multipart/mixed"
    kinds = [part.get_content_type() for part in message.walk()]
    assert kinds == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/csv",
    ]
    (attachment,) = message.iter_attachments()
    assert attachment.get_filename() == "notes.csv"
    assert attachment.get_content() == "a,b\n1,2\n"


def test_message_without_attachments_is_unchanged(sessions: sessionmaker[Session]) -> None:
    nothing: list[outbox.EmailAttachment] = []
    for attachments in (None, nothing):
        message = _built(sessions, _queue(sessions, attachments))
        assert message.get_content_type() == "multipart/alternative"
        kinds = [part.get_content_type() for part in message.iter_parts()]
        assert kinds == ["text/plain", "text/html"]
        assert not list(message.iter_attachments())


def test_invitation_arrives_over_smtp(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    port = free_port()
    message_id = _queue(sessions, [_invite_attachment()])
    box = DevMailbox(tmp_path / "box", port=port)
    box.start()
    try:
        settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=3)
        report = asyncio.run(outbox.deliver(sessions, settings, [message_id]))
    finally:
        box.stop()
    assert report.sent == [message_id]
    (received,) = box.store.messages()
    _check_invitation(received.message)
    assert received.part("plain").strip() == "plain 文本"
