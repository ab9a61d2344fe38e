"""Tasks around a waiting step: open it (record, link, email) and take its decision."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from complaints import repository
from complaints.deadlines import schedule
from complaints.enums import LinkAction, Stage, StepKind, StepStatus
from complaints.intake import service
from complaints.mail import notifications
from complaints.models import Complaint, utcnow
from complaints.organization import Organization
from complaints.settings import Settings
from complaints.steps import service as step_service
from complaints.steps.contracts import StepInput
from tasks.runtime import organization, settings, step_task, transaction

STAGE_OF_STEP = {
    StepKind.ASSESSMENT: Stage.ASSESSMENT,
    StepKind.INFO_REQUEST: Stage.ASSESSMENT,
    StepKind.NOT_OURS_APPROVAL: Stage.ASSESSMENT,
    StepKind.CONTAINMENT: Stage.CONTAINMENT,
    StepKind.MEASURE: Stage.CONTAINMENT,
    StepKind.CAUSE_ANALYSIS: Stage.ROOT_CAUSE,
    StepKind.ACTION_PLAN: Stage.ROOT_CAUSE,
    StepKind.ACTION: Stage.CORRECTIVE_ACTION,
    StepKind.RESPONSE: Stage.RESPONSE,
    StepKind.RESPONSE_APPROVAL: Stage.RESPONSE,
    StepKind.RESPONSE_DECISION: Stage.RESPONSE,
    StepKind.SURVEY: Stage.FOLLOW_UP,
    StepKind.EFFECTIVENESS: Stage.FOLLOW_UP,
}
# Stages the complainant hears about when the complaint enters them (ISO 10002 7.3); the
# assessment follows the acknowledgement at once, the answer and closing are emails of
# their own.
TOLD_STAGES = {Stage.CONTAINMENT, Stage.ROOT_CAUSE, Stage.CORRECTIVE_ACTION, Stage.RESPONSE}
STAGE_ORDER = list(Stage)
# A meeting's organizer may also move the meeting with the minutes link.
STEP_ACTIONS = {
    StepKind.CONTAINMENT: (LinkAction.DECIDE, LinkAction.RESCHEDULE),
    StepKind.ACTION_PLAN: (LinkAction.DECIDE, LinkAction.RESCHEDULE),
}


class RecordedStep(BaseModel):
    """What our record holds of a step: its key and, once decided, the decision."""

    key: str
    decision: dict[str, Any] | None


def recorded_step(complaint_id: uuid.UUID, key: str, *, take: bool) -> RecordedStep | None:
    """Return what our database holds of a step (None: never opened).

    Not a task: our record, not Prefect's memory of the run, says what was decided, so a
    replayed run takes a decided step from here at the cost of one read (no task run, no
    suspension), whatever Prefect remembers of the keys it suspended at. ``take``: the
    run takes the decision now, so it is marked applied, as one the run was resumed with is.
    """
    with transaction() as session:
        step = repository.get_step(session, complaint_id, key)
        if step is None:
            return None
        if step.status is not StepStatus.DECIDED or step.decision is None:
            return RecordedStep(key=key, decision=None)
        if take:
            step_service.mark_applied(session, step)
        return RecordedStep(key=key, decision=dict(step.decision))


class OpenedStepRef(BaseModel):
    """What the flow keeps of an opened step: references only, no personal data."""

    step_id: uuid.UUID
    key: str
    message_ids: list[uuid.UUID]


@step_task("open-step")
def open_step(
    complaint_id: uuid.UUID,
    kind: StepKind,
    key: str,
    refs: dict[str, str | int] | None = None,
) -> OpenedStepRef:
    """Open a waiting step and queue the email that asks its assignee to act.

    ``refs`` point at the earlier steps this one is about (the question asked, the
    minutes that set the measure); the step's details and assignee come from them. A
    step asked for days later (the survey, the effectiveness check) is open at once, so
    the run can wait on it, and the deadline watch sends its request when the day comes.
    """
    config = settings()
    org = organization()
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        message_ids = enter_stage(session, complaint, STAGE_OF_STEP[kind], org, config)
        details = step_service.step_details(session, complaint, kind, refs or {}, org)
        opened_at = utcnow()
        asked_at = schedule.request_at(kind, org, details)
        deferred = asked_at is not None and asked_at > opened_at
        if deferred:
            assert asked_at is not None
            details["request_at"] = asked_at.isoformat()
        opened = step_service.open_step(
            session,
            complaint,
            kind=kind,
            key=key,
            assignee=step_service.assignee_for(
                session, complaint, kind, details, org.quality_leads
            ),
            due_at=schedule.due_at(complaint, kind, org, opened_at=opened_at, details=details),
            secret=config.secret_key.get_secret_value(),
            link_grace=timedelta(hours=config.link_grace_hours),
            details=details,
            actions=STEP_ACTIONS.get(kind, (LinkAction.DECIDE,)),
            now=opened_at,
        )
        if opened.token is not None and not deferred:
            message = notifications.request_step(
                session, complaint, opened.step, opened.token, org, config
            )
            message_ids.append(message.id)
        return OpenedStepRef(step_id=opened.step.id, key=key, message_ids=message_ids)


def enter_stage(
    session: Session, complaint: Complaint, stage: Stage, org: Organization, config: Settings
) -> list[uuid.UUID]:
    """Move a complaint on to a stage; tell the complainant if it is one they hear about.

    Never back: a step of an earlier kind opened later (new actions after an effectiveness
    check, an improvement action after the survey) leaves the stage where it is.
    """
    if STAGE_ORDER.index(stage) < STAGE_ORDER.index(complaint.stage):
        return []
    if not service.move_to_stage(session, complaint.id, stage) or stage not in TOLD_STAGES:
        return []
    message, _new = notifications.tell_progress(
        session, complaint, org, config, occasion=f"stage-{stage.value}"
    )
    return [message.id]


@step_task("take-decision")
def take_decision(complaint_id: uuid.UUID, key: str, received: StepInput) -> dict[str, Any]:
    """Record the decision the run was resumed with (if the web app has not) and return it."""
    with transaction() as session:
        return step_service.apply_decision(session, complaint_id, key, received)
