"""Tasks of the management review (the ``management-review`` deployment)."""

from __future__ import annotations

import uuid
from datetime import datetime

from prefect.client.orchestration import get_client
from prefect.runtime import deployment, flow_run
from prefect.states import Scheduled
from pydantic import BaseModel

from complaints.management.contracts import ReviewMinutes
from complaints.management.convene import convene
from complaints.management.decide import minutes_task
from complaints.management.minutes import apply_minutes, next_review, take_minutes
from complaints.models import ManagementReview, utcnow
from tasks.runtime import organization, settings, step_task, transaction


class ConvenedRef(BaseModel):
    """What the flow keeps of a convened review: ids and its reference only."""

    review_id: uuid.UUID
    reference: str
    message_ids: list[uuid.UUID]


@step_task("convene-management-review")
def convene_review(
    recipients: list[str], chair: str | None, meeting_in_days: int, as_of: datetime | None
) -> ConvenedRef:
    """Assemble the inputs, keep the review and queue its pack and invitation (once)."""
    with transaction() as session:
        convened = convene(
            session,
            organization(),
            settings(),
            key=f"flow-run:{flow_run.id}",
            flow_run_id=uuid.UUID(str(flow_run.id)) if flow_run.id else None,
            participants=recipients,
            chair=chair,
            meeting_in_days=meeting_in_days,
            now=as_of or utcnow(),
        )
    return ConvenedRef(**convened.__dict__)


def recorded_minutes(review_id: uuid.UUID, received: ReviewMinutes | None = None) -> bool:
    """Return whether the review's minutes are recorded, taking them for the run.

    Not a task: our record says what was decided, so a replayed run reads it here (one
    read, no task run, no suspension). ``received``: minutes given in the Prefect UI.
    """
    with transaction() as session:
        return take_minutes(session, organization(), review_id, received, now=utcnow()) is not None


class DecidedRef(BaseModel):
    message_ids: list[uuid.UUID]


@step_task("open-review-actions")
def open_review_actions(review_id: uuid.UUID) -> DecidedRef:
    """Open one action per decision of the minutes and send the record (once)."""
    with transaction() as session:
        ids = apply_minutes(session, organization(), settings(), review_id, now=utcnow())
    return DecidedRef(message_ids=ids)


@step_task("schedule-next-review")
async def schedule_next_review(review_id: uuid.UUID) -> uuid.UUID | None:
    """Schedule the next management review on the day its minutes set (once: the
    idempotency key is this review's), with the same chair and participants."""
    deployment_id = deployment.id
    if deployment_id is None:  # a run outside a deployment schedules nothing
        return None
    with transaction() as session:
        management = session.get_one(ManagementReview, review_id)
        minutes = ReviewMinutes.model_validate(minutes_task(session, review_id).decision)
        parameters = {"recipients": list(management.participants), "chair": management.chair}
    planned = next_review(organization(), minutes, utcnow())
    async with get_client() as client:
        scheduled = await client.create_flow_run_from_deployment(
            uuid.UUID(str(deployment_id)),
            parameters={**parameters, "meeting_in_days": planned.meeting_in_days},
            state=Scheduled(scheduled_time=planned.starts_at),
            idempotency_key=f"management-review-after-{review_id}",
            tags=["review"],
        )
    return scheduled.id
