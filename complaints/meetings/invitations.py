"""The meetings' calendar invitations: one ``.ics`` per sequence of a meeting, emailed to
everyone invited, so moving a meeting updates the event each calendar already has."""

from __future__ import annotations

from sqlalchemy.orm import Session

from complaints.deadlines.schedule import contain_by
from complaints.enums import MeetingPurpose
from complaints.mail.compose import addressed, queue_email
from complaints.mail.contexts import (
    ContainmentInvitationContext,
    MeetingInvitationContext,
    RootCauseInvitationContext,
)
from complaints.mail.outbox import EmailAttachment
from complaints.meetings import ics
from complaints.models import Complaint, Meeting, OutboxMessage
from complaints.organization import Organization

INVITATIONS: dict[MeetingPurpose, type[MeetingInvitationContext]] = {
    MeetingPurpose.CONTAINMENT: ContainmentInvitationContext,
    MeetingPurpose.ROOT_CAUSE: RootCauseInvitationContext,
}


def invite(
    session: Session, complaint: Complaint, meeting: Meeting, org: Organization
) -> list[OutboxMessage]:
    """Queue the meeting's calendar invitation (this sequence of it) to everyone invited."""
    organizer = org.person(meeting.organizer)
    people = [organizer, *(org.person(key) for key in meeting.attendees)]
    urgent = meeting.purpose == MeetingPurpose.CONTAINMENT
    calendar = ics.invitation(
        uid=meeting.uid,
        sequence=meeting.sequence,
        summary=f"{complaint.reference} · {'containment' if urgent else 'root-cause'} meeting",
        description=f"{complaint.reference}: {complaint.product}",
        location=meeting.location,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        zone=org.zone_of(),
        organizer=ics.Invitee(organizer.name, str(organizer.email)),
        attendees=[ics.Invitee(p.name, str(p.email)) for p in people[1:]],
        stamp=meeting.updated_at,
    )
    invitation = EmailAttachment(filename="invite.ics", content_type="text/calendar", text=calendar)
    invitation_context = INVITATIONS[MeetingPurpose(meeting.purpose)]
    messages = []
    for person in people:
        context = invitation_context(
            **addressed(complaint, person.name, org),
            description=complaint.description,
            grade=complaint.grade.value if complaint.grade else "",
            safety_relevant=bool(complaint.safety_relevant),
            organizer_name=organizer.name,
            attendee_names=[p.name for p in people],
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            location=meeting.location,
            contain_by=contain_by(complaint, org) if urgent else None,
            updated=meeting.sequence > 0,
        )
        occasion = f"meeting-{meeting.purpose}-{meeting.sequence}"
        message, _new = queue_email(
            session, complaint, occasion, person, org, context, attachments=[invitation]
        )
        messages.append(message)
    return messages
