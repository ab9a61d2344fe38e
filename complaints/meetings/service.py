"""Meetings the flow convenes: who attends, when, and every change to them.

A meeting is recorded once per complaint and purpose; moving it keeps its identity and
raises its sequence, so each calendar updates the event it already has.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from complaints.audit import record_event
from complaints.enums import EventKind, MeetingPurpose
from complaints.meetings.ics import meeting_uid
from complaints.meetings.plans import MeetingPlan
from complaints.models import Complaint, Meeting, utcnow
from complaints.organization import Organization


def attendees_for(complaint: Complaint, org: Organization, picked: list[str]) -> list[str]:
    """Return the invitees: the owning department's people plus those picked (known ones)."""
    department = org.departments[complaint.department].handlers
    wanted = [*department, *picked]
    return [key for key in dict.fromkeys(wanted) if key in org.people]


def find(session: Session, complaint_id: uuid.UUID, purpose: MeetingPurpose) -> Meeting | None:
    """Return a complaint's meeting for a purpose."""
    return session.scalars(
        select(Meeting).where(Meeting.complaint_id == complaint_id, Meeting.purpose == purpose)
    ).first()


def convene(
    session: Session,
    complaint: Complaint,
    *,
    purpose: MeetingPurpose,
    organizer: str,
    attendees: list[str],
    starts_at: datetime,
    minutes: int,
    location: str,
    uid_domain: str,
) -> tuple[Meeting, bool]:
    """Record a meeting once; return it and whether it was recorded now."""
    existing = find(session, complaint.id, purpose)
    if existing:
        return existing, False
    meeting_id = uuid.uuid4()
    meeting = Meeting(
        id=meeting_id,
        complaint_id=complaint.id,
        purpose=purpose,
        uid=meeting_uid(meeting_id, uid_domain),
        sequence=0,
        organizer=organizer,
        attendees=[key for key in attendees if key != organizer],
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        location=location,
        updated_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(meeting)
    except IntegrityError:  # convened concurrently by a re-executed task
        raced = find(session, complaint.id, purpose)
        assert raced is not None
        return raced, False
    record_event(
        session,
        complaint.id,
        EventKind.MEETING_CONVENED,
        data={
            "purpose": purpose,
            "starts_at": starts_at.isoformat(),
            "organizer": organizer,
            "attendees": meeting.attendees,
        },
    )
    return meeting, True


def convene_planned(
    session: Session,
    complaint: Complaint,
    purpose: MeetingPurpose,
    plan: MeetingPlan,
    org: Organization,
    *,
    planned_by: str,
    uid_domain: str,
) -> Meeting:
    """Record (once) the meeting a decided step planned.

    The containment meeting is organized by whoever assessed the complaint (an escalated
    quality lead may have stepped in), the root-cause meeting by the complaint's handler
    with the analyst who planned it invited.
    """
    picked = list(plan.attendees)
    if purpose is MeetingPurpose.CONTAINMENT:
        organizer = planned_by if planned_by in org.people else complaint.handler
    else:
        organizer = complaint.handler
        picked.append(planned_by)
    assert plan.meeting_at is not None, "a step that convenes a meeting sets its time"
    meeting, _new = convene(
        session,
        complaint,
        purpose=purpose,
        organizer=organizer,
        attendees=attendees_for(complaint, org, picked),
        starts_at=plan.meeting_at,
        minutes=plan.meeting_minutes,
        location=plan.meeting_location,
        uid_domain=uid_domain,
    )
    return meeting


def organizer_of(session: Session, complaint: Complaint, purpose: MeetingPurpose | None) -> str:
    """Return who organizes a complaint's meeting (its handler while none is recorded)."""
    meeting = find(session, complaint.id, purpose) if purpose else None
    return meeting.organizer if meeting else complaint.handler


def reschedule(
    session: Session,
    meeting: Meeting,
    *,
    starts_at: datetime,
    minutes: int,
    location: str,
    by: str,
) -> Meeting:
    """Move a meeting: same event (UID), next sequence."""
    meeting.sequence += 1
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + timedelta(minutes=minutes)
    meeting.location = location
    meeting.updated_at = utcnow()
    record_event(
        session,
        meeting.complaint_id,
        EventKind.MEETING_RESCHEDULED,
        actor=by,
        data={
            "purpose": meeting.purpose,
            "sequence": meeting.sequence,
            "starts_at": starts_at.isoformat(),
        },
    )
    return meeting
