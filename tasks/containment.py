"""Tasks of containment (the corrective-action loop, 2.2): convene the urgent meeting (and
the root-cause meeting, the same way), and finish."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from pydantic import BaseModel

from complaints import repository
from complaints.audit import record_event
from complaints.enums import EventKind, MeetingPurpose, Stage
from complaints.intake import service
from complaints.meetings import service as meetings
from complaints.meetings.invitations import invite
from complaints.meetings.plans import MeetingPlan
from complaints.steps.stages import enter_stage
from tasks.runtime import organization, settings, step_task, transaction


class ConvenedMeeting(BaseModel):
    """References only: the meeting and the invitations queued for it."""

    meeting_id: uuid.UUID
    message_ids: list[uuid.UUID]


@step_task("convene-meeting")
def convene_meeting(
    complaint_id: uuid.UUID, purpose: MeetingPurpose, plan_key: str
) -> ConvenedMeeting:
    """Record the meeting a decided step planned, and invite everyone (once).

    The urgent meeting opens containment. Invitations are queued once (dedup keys); a
    re-executed task gets the same messages back, so an interrupted delivery is retried.
    """
    config, org = settings(), organization()
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        message_ids = []
        if purpose is MeetingPurpose.CONTAINMENT:
            message_ids = enter_stage(session, complaint, Stage.CONTAINMENT, org, config)
        plan = repository.get_step(session, complaint_id, plan_key)
        assert plan is not None and plan.decision is not None
        meeting = meetings.convene_planned(
            session,
            complaint,
            purpose,
            MeetingPlan.model_validate(plan.decision),
            org,
            planned_by=plan.decided_by or "",
            uid_domain=urlsplit(config.public_url).hostname or "complaints.invalid",
        )
        message_ids += [m.id for m in invite(session, complaint, meeting, org)]
        return ConvenedMeeting(meeting_id=meeting.id, message_ids=message_ids)


@step_task("complete-containment")
def complete_containment(complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """Mark containment complete and move on to the root cause (telling the complainant)."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        if complaint.stage is Stage.CONTAINMENT:
            record_event(session, complaint_id, EventKind.CONTAINMENT_COMPLETED)
        return enter_stage(session, complaint, Stage.ROOT_CAUSE, organization(), settings())
