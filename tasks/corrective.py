"""Tasks of the corrective-action stage: the quality leads' overview, and its end."""

from __future__ import annotations

import uuid

from complaints import repository
from complaints.actions.notices import action_plan_overview
from complaints.audit import record_event
from complaints.enums import EventKind, Stage
from complaints.intake import service
from complaints.steps.stages import enter_stage
from tasks.runtime import organization, settings, step_task, transaction


@step_task("send-action-plan-overview")
def send_action_plan_overview(
    complaint_id: uuid.UUID, plan_key: str, action_keys: list[str]
) -> list[uuid.UUID]:
    """Queue, to each quality lead, the actions of a plan with a link to manage each."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        action_steps = [repository.get_step(session, complaint_id, key) for key in action_keys]
        found = [step for step in action_steps if step is not None]
        assert len(found) == len(action_keys), "every action step is open before the overview"
        messages = action_plan_overview(
            session, complaint, plan_key, found, organization(), settings()
        )
        return [m.id for m in messages]


@step_task("complete-actions")
def complete_actions(complaint_id: uuid.UUID, plan_key: str) -> list[uuid.UUID]:
    """Record that every action of a plan is done (the answer to the customer is next)."""
    with transaction() as session:
        complaint = service.require_complaint(session, complaint_id)
        if not repository.has_event(
            session, complaint_id, EventKind.ACTIONS_COMPLETED, plan=plan_key
        ):
            record_event(
                session, complaint_id, EventKind.ACTIONS_COMPLETED, data={"plan": plan_key}
            )
        return enter_stage(session, complaint, Stage.CORRECTIVE_ACTION, organization(), settings())


@step_task("return-to-actions")
def return_to_actions(complaint_id: uuid.UUID, plan_key: str) -> bool:
    """Take a complaint back to corrective action for a new plan (the last did not work)."""
    with transaction() as session:
        moved = service.move_to_stage(session, complaint_id, Stage.CORRECTIVE_ACTION)
        if moved:
            record_event(session, complaint_id, EventKind.ACTIONS_REOPENED, data={"plan": plan_key})
        return moved
