"""Tasks around a waiting step: open it (record, link, email) and take its decision."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from complaints import notifications, service, steps
from complaints.contracts import StepInput
from complaints.enums import Stage, StepKind
from tasks.runtime import organization, settings, step_task, transaction

STAGE_OF_STEP = {StepKind.ASSESSMENT: Stage.ASSESSMENT, StepKind.CONTAINMENT: Stage.CONTAINMENT}


class OpenedStepRef(BaseModel):
    """What the flow keeps of an opened step: references only, no personal data."""

    step_id: uuid.UUID
    key: str
    message_ids: list[uuid.UUID]


@step_task("open-step")
def open_step(complaint_id: uuid.UUID, kind: StepKind, key: str) -> OpenedStepRef:
    """Open a waiting step and queue the email that asks its assignee to act."""
    config = settings()
    org = organization()
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        service.move_to_stage(session, complaint_id, STAGE_OF_STEP[kind])
        opened = steps.open_step(
            session,
            complaint,
            kind=kind,
            key=key,
            assignee=complaint.handler,
            secret=config.secret_key.get_secret_value(),
            link_grace=timedelta(hours=config.link_grace_hours),
        )
        message_ids = []
        if opened.token is not None:
            message = notifications.request_step(
                session, complaint, opened.step, opened.token, org, config
            )
            message_ids.append(message.id)
        return OpenedStepRef(step_id=opened.step.id, key=key, message_ids=message_ids)


@step_task("take-decision")
def take_decision(complaint_id: uuid.UUID, key: str, received: StepInput) -> dict[str, Any]:
    """Record the decision the run was resumed with (if the web app has not) and return it."""
    with transaction() as session:
        return steps.apply_decision(session, complaint_id, key, received)
