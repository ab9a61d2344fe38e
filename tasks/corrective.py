"""Tasks of the corrective-action stage: the quality leads' overview, and its end."""

from __future__ import annotations

import uuid

from complaints import notifications, repository, service
from complaints.audit import record_event
from complaints.enums import Stage
from tasks.runtime import organization, settings, step_task, transaction
from tasks.steps import enter_stage


@step_task("send-action-plan-overview")
def send_action_plan_overview(complaint_id: uuid.UUID, action_keys: list[str]) -> list[uuid.UUID]:
    """Queue, to each quality lead, the actions decided with a link to manage each."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        action_steps = [repository.get_step(session, complaint_id, key) for key in action_keys]
        found = [step for step in action_steps if step is not None]
        assert len(found) == len(action_keys), "every action step is open before the overview"
        messages = notifications.action_plan_overview(
            session, complaint, found, organization(), settings()
        )
        return [m.id for m in messages]


@step_task("complete-actions")
def complete_actions(complaint_id: uuid.UUID) -> list[uuid.UUID]:
    """Record that every action is done (the response to the customer comes next)."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        if complaint.stage is Stage.CORRECTIVE_ACTION:
            record_event(session, complaint_id, "actions.completed")
        return enter_stage(session, complaint, Stage.CORRECTIVE_ACTION, organization(), settings())
