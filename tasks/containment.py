"""Tasks of containment: convene the urgent meeting, account for waiting, finish."""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import urlsplit

from pydantic import BaseModel

from complaints import repository
from complaints.audit import record_event
from complaints.deadlines import schedule
from complaints.enums import EventKind, MeetingPurpose, Stage
from complaints.intake import service
from complaints.mail import notifications
from complaints.meetings import service as meeting_service
from tasks.runtime import organization, settings, step_task, transaction
from tasks.steps import enter_stage


class ConvenedMeeting(BaseModel):
    """References only: the meeting and the invitations queued for it."""

    meeting_id: uuid.UUID
    message_ids: list[uuid.UUID]


@step_task("convene-meeting")
def convene_meeting(
    complaint_id: uuid.UUID, purpose: MeetingPurpose, plan_key: str
) -> ConvenedMeeting:
    """Record the meeting a decided step planned, and invite everyone (once).

    The containment meeting is organized by whoever assessed the complaint (an escalated
    quality lead may have stepped in), the root-cause meeting by the complaint's handler
    with the analyst invited.
    """
    config = settings()
    org = organization()
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        message_ids = []
        if purpose is MeetingPurpose.CONTAINMENT:
            message_ids = enter_stage(session, complaint, Stage.CONTAINMENT, org, config)
        plan = repository.get_step(session, complaint_id, plan_key)
        assert plan is not None and plan.decision is not None
        decision = plan.decision
        decided_by = plan.decided_by or ""
        picked = list(decision.get("attendees", []))
        if purpose is MeetingPurpose.CONTAINMENT:
            organizer = decided_by if decided_by in org.people else complaint.handler
        else:
            organizer = complaint.handler
            picked.append(decided_by)
        meeting, _new = meeting_service.convene(
            session,
            complaint,
            purpose=purpose,
            organizer=organizer,
            attendees=meeting_service.attendees_for(complaint, org, picked),
            starts_at=datetime.fromisoformat(decision["meeting_at"]),
            minutes=int(decision.get("meeting_minutes", 60)),
            location=decision.get("meeting_location") or "",
            uid_domain=urlsplit(config.public_url).hostname or "complaints.invalid",
        )
        # Queued once (dedup keys); a re-executed task gets the same messages back, so
        # a delivery a crash interrupted is tried again.
        invitations = notifications.invite(session, complaint, meeting, org, config)
        message_ids += [m.id for m in invitations]
        return ConvenedMeeting(meeting_id=meeting.id, message_ids=message_ids)


@step_task("account-for-waiting")
def account_for_waiting(complaint_id: uuid.UUID, info_key: str) -> int:
    """Stop the deadline clock for the time the complainant took, if the policy says so."""
    if not organization().deadlines.pause_for_complainant:
        return 0
    with transaction() as session:
        step = repository.get_step(session, complaint_id, info_key)
        assert step is not None
        return schedule.pause_clock_for(session, step)


@step_task("complete-containment")
def complete_containment(complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """Mark containment complete and move on to the root cause (telling the complainant)."""
    config = settings()
    org = organization()
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        if complaint.stage is Stage.CONTAINMENT:
            record_event(session, complaint_id, EventKind.CONTAINMENT_COMPLETED)
        return enter_stage(session, complaint, Stage.ROOT_CAUSE, org, config)
